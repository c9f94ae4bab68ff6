/**
 * Hostile traffic against the real service (src/main.ts as a child process, so its CPU is its
 * own): for each of the worst inputs we know, unauthenticated and authenticated, the service's
 * CPU per refused request (all its threads, from /proc/<pid>/task/<tid>/schedstat, in ns, after
 * a few warm-up requests) and the answer; then a legitimate request's latency alone and while
 * every attack is fired at it in a loop by a second process (this file in attacker mode).
 *
 *   npm run bench:hostile                    # embedded FerretDB in a temp directory
 *   MONGODB_URI=mongodb://… npm run bench:hostile
 *
 * Every figure says whose it is: the service's CPU (and the bytes it read, from
 * /proc/<pid>/io), the attacker process's, the database's, the timing client's (this process),
 * and the whole machine's (from /proc/stat, which includes other people's work on a shared
 * machine), for the unloaded and the loaded phases alike; the load average before and after.
 * The legitimate requests carry request ids, so the service's own time for each (its log's `ms`,
 * handler and database) can be told apart from the time it waited before it was read.
 *
 * env: HOSTILE_N (requests per attack for the CPU figure, default 100), HOSTILE_WARMUP (unmeasured
 * requests before them, default 20), HOSTILE_LEGIT (timed
 * legitimate requests in all, per phase kind, default 300), HOSTILE_CONCURRENCY (attackers in flight during
 * the loaded phase, default 4), HOSTILE_RATE_LIMITS (`on`: the default rate limits; otherwise
 * they are off in the child, RATE_LIMIT_*=0, so every attack reaches the stage that refuses it:
 * the worst case for the service), HOSTILE_ATTACKER_NICE (the attacker process's nice value,
 * default 0), HOSTILE_PIN (`on`: the attackers' process runs on the machine's last core and every
 * other party of ours, the service, the database and the timing client, on the others, with
 * `taskset`: attackers on machines of their own, as they would be, so that the loaded phase
 * measures what the attacks cost the service and not what the attack generator's own CPU takes
 * from it; the unloaded phase runs on the same cores, so both phases have the same machine),
 * HOSTILE_ROUNDS (alternating unloaded/loaded rounds, default 6), HOSTILE_LOG (a file for the
 * service's log).
 */
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { constants as http2constants, connect as h2connect } from "node:http2";
import { cpus, setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedDatabase } from "../src/db/embedded.js";
import { createLogger } from "../src/log.js";
import { Store } from "../src/storage/store.js";
import { RECORD_EVENTS, TRACK_EVENT, TRACK_PURCHASE, deepPropertiesBinary, purchaseWithRawOrderId } from "../test/hostile/inputs.js";

const ROOT = join(import.meta.dirname, "..");
const N = Number(process.env.HOSTILE_N ?? 100);
const WARMUP = Number(process.env.HOSTILE_WARMUP ?? 20);
const LEGIT = Number(process.env.HOSTILE_LEGIT ?? 300);
const CONCURRENCY = Number(process.env.HOSTILE_CONCURRENCY ?? 4);
const RATE_LIMITS = process.env.HOSTILE_RATE_LIMITS === "on";
const ATTACKER_NICE = Number(process.env.HOSTILE_ATTACKER_NICE ?? 0);
const ROUNDS = Number(process.env.HOSTILE_ROUNDS ?? 6);
const PIN = process.env.HOSTILE_PIN === "on";
if (PIN && cpus().length < 2) throw new Error("HOSTILE_PIN=on needs at least 2 cores (the attackers get one of their own)");

/** Runs every thread of `pid` on `cores` (a taskset list such as `0` or `0-2`). */
function pin(pid: number, cores: string): void {
  execFileSync("taskset", ["-apc", cores, String(pid)], { stdio: "ignore" });
}

type Protocol = "rest" | "connect-json" | "connect-binary" | "grpc" | "grpc-web";
interface Attack {
  name: string;
  protocol: Protocol;
  path: string;
  body: Uint8Array;
  auth: boolean;
}

const MIB = 1024 * 1024;
/** One uncompressed gRPC / gRPC-Web frame. */
function frame(m: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(m.length, 1);
  return Buffer.concat([head, m]);
}
const text = (s: string) => Buffer.from(s);

function attacks(): Attack[] {
  const ones = text(`{"events":[${"1,".repeat(Math.floor((MIB - 20) / 2) - 1)}1]}`); // ~1 MiB, 524k items
  const unknownKeys = text(`{${Array.from({ length: 80_000 }, (_, i) => `"k${i}":1`).join(",")}}`); // ~849 KiB
  const nestedArrays = text(`{"eventName":"x","contactEmail":"u@example.com","properties":{"a":${"[".repeat(400_000)}${"]".repeat(400_000)}}}`);
  const deep = deepPropertiesBinary(10_000);
  const emptyEvents = Buffer.alloc(MIB - 16, Buffer.from([0x0a, 0x00])); // 524k empty events, binary
  const garbage = Buffer.alloc(MIB - 16, 0xff);
  const list: Attack[] = [];
  for (const auth of [false, true]) {
    list.push(
      { name: "REST {events:[1,1,…]} 1 MiB", protocol: "rest", path: "/api/v1/ingest/email-events", body: ones, auth },
      { name: "REST 80,000 unknown keys", protocol: "rest", path: "/api/v1/track/purchase", body: unknownKeys, auth },
      { name: "Connect JSON 400k nested arrays", protocol: "connect-json", path: `/${TRACK_EVENT}`, body: nestedArrays, auth },
      { name: "Connect binary 1 MiB of 0xff", protocol: "connect-binary", path: `/${RECORD_EVENTS}`, body: garbage, auth },
      { name: "Connect binary 524k empty events", protocol: "connect-binary", path: `/${RECORD_EVENTS}`, body: emptyEvents, auth },
      { name: "gRPC properties 10,000 deep", protocol: "grpc", path: `/${TRACK_EVENT}`, body: frame(deep), auth },
      { name: "gRPC-Web 524k empty events", protocol: "grpc-web", path: `/${RECORD_EVENTS}`, body: frame(emptyEvents), auth },
      { name: "gRPC invalid UTF-8 order id", protocol: "grpc", path: `/${TRACK_PURCHASE}`, body: frame(purchaseWithRawOrderId([0x6f, 0xff])), auth },
    );
  }
  return list;
}

const CONTENT_TYPE: Record<Protocol, string> = {
  rest: "application/json",
  "connect-json": "application/json",
  "connect-binary": "application/proto",
  grpc: "application/grpc",
  "grpc-web": "application/grpc-web+proto",
};

/** Sends one request; resolves with what came back (HTTP status, or grpc-status for gRPC). */
async function send(base: string, a: { protocol: Protocol; path: string; body: Uint8Array; method?: string }, key: string | undefined): Promise<string> {
  const headers: Record<string, string> = { "content-type": CONTENT_TYPE[a.protocol] };
  if (key) headers.authorization = `Bearer ${key}`;
  if (a.protocol === "grpc") return grpc(base, a.path, a.body, headers);
  try {
    const res = await fetch(base + a.path, { method: a.method ?? "POST", headers, body: a.method === "GET" ? undefined : a.body, signal: AbortSignal.timeout(15_000) });
    const body = await res.arrayBuffer();
    if (a.protocol === "grpc-web") return `200 grpc-status ${/grpc-status: ?(\d+)/.exec(Buffer.from(body).toString("latin1"))?.[1] ?? res.headers.get("grpc-status")}`;
    return String(res.status);
  } catch (err) {
    return `connection closed (${(err as { cause?: { code?: string } }).cause?.code ?? "error"})`;
  }
}

let session: ReturnType<typeof h2connect> | undefined;
let grpcCalls = 0;
/** gRPC calls that got no answer within 15 s, described. */
const unanswered: string[] = [];
function grpc(base: string, path: string, body: Uint8Array, headers: Record<string, string>): Promise<string> {
  // A fresh session every 50 calls: Node's http2 client (this one; not grpc-js, not grpc-go,
  // both tried) stops getting answers on a session once ~18 MB of bodies were sent on streams
  // the server answered and reset before reading them (~125 calls of 145 KB, ~44 of 400 KB,
  // the same with a bare Node http2 server), which would leave attackers waiting out 15 s
  // deadlines instead of attacking.
  if (session && grpcCalls % 50 === 0) {
    session.removeAllListeners("close");
    session.close();
    session = undefined;
  }
  if (!session || session.closed || session.destroyed) {
    session = h2connect(base);
    session.on("goaway", (code, last) => console.error(`h2 GOAWAY from the service: code ${code}, last stream ${last}`));
    session.on("error", (err) => console.error(`h2 session error: ${err}`));
    session.on("close", () => console.error("h2 session closed"));
  }
  const rid = `bench-grpc-${++grpcCalls}`;
  return new Promise((resolve) => {
    const req = session!.request({ ":method": "POST", ":path": path, te: "trailers", "x-request-id": rid, ...headers });
    let status = "none";
    let got = "nothing";
    req.on("response", (h) => {
      status = String(h["grpc-status"] ?? status);
      got = "headers";
    });
    req.on("trailers", (t) => {
      status = String(t["grpc-status"] ?? status);
      got = "trailers";
    });
    req.on("data", () => undefined);
    req.on("error", () => undefined);
    // As fetch's, a call gets 15 s: an answer that never comes is counted and reported, not
    // waited for forever. On the shared h2c session such a stream once left every attacker
    // waiting (the service had logged its refusal; the client had received nothing, not even
    // headers, and cancelling did not close the stream), so the session is replaced too.
    const deadline = setTimeout(() => {
      unanswered.push(`${rid} ${path}: got ${got}, stream ${JSON.stringify(req.state)}, ${req.writableFinished ? "all" : "not all"} of ${body.length} bytes sent`);
      console.error(`no answer in 15 s: ${unanswered.at(-1)}`);
      req.close(http2constants.NGHTTP2_CANCEL);
      session?.destroy();
      session = undefined;
      resolve("no answer in 15 s");
    }, 15_000);
    req.on("close", () => {
      clearTimeout(deadline);
      resolve(`grpc-status ${status}`);
    });
    req.end(Buffer.from(body));
  });
}

/** The process's CPU time so far, all threads, in ms (from the scheduler's ns counters). */
function cpuMs(pid: number): number {
  return schedstat(pid, 0);
}

/**
 * Time the process's threads spent runnable but waiting for a core so far, in ms (schedstat's
 * second field): what CPU competition from other processes costs it. `mainOnly`: the main
 * thread's alone (Node's event loop; its other threads are the thread pool, GC and JIT helpers).
 */
function waitMs(pid: number, mainOnly = false): number {
  if (!mainOnly) return schedstat(pid, 1);
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ")[1]) / 1e6;
}

function schedstat(pid: number, field: 0 | 1): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[field]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e6;
}

/** Bytes the process has read through system calls so far (sockets included). */
function bytesRead(pid: number): number {
  return Number(/rchar: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, "utf8"))?.[1] ?? NaN);
}

/** The machine's CPU so far, in ms: busy (everything but idle and I/O wait) and all. */
function machineCpu(): { busy: number; all: number } {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const all = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: ((all - f[3]! - f[4]!) * 1000) / 100, all: (all * 1000) / 100 };
}

/** Child processes of this one whose command name starts with `name` (the embedded database). */
function childPids(name: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && comm.startsWith(name)) out.push(Number(d));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

let legitCalls = 0;
/** Legitimate requests, one at a time; each one's latency, under its request id. */
async function legitLatencies(base: string, key: string, n: number, tag: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const rid = `legit-${tag}-${++legitCalls}`;
    const t = performance.now();
    const res = await fetch(`${base}/api/v1/analytics/overview?period=30d`, { headers: { authorization: `Bearer ${key}`, "x-request-id": rid }, signal: AbortSignal.timeout(15_000) });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`legitimate request got ${res.status}`);
    out.set(rid, performance.now() - t);
  }
  return out;
}

/** CPU (ms) of every party, and the machine's, between two readings. */
interface Reading {
  wall: number;
  service: number;
  /** Runnable but waiting for a core: the service's event loop thread, the database's threads. */
  serviceWait: number;
  databaseWait: number;
  attackers: number;
  database: number;
  client: number;
  machine: { busy: number; all: number };
}
function reading(service: number, attackers: number | undefined, database: number[]): Reading {
  const c = process.cpuUsage();
  return {
    wall: performance.now(),
    service: cpuMs(service),
    serviceWait: waitMs(service, true),
    databaseWait: database.reduce((a, pid) => a + waitMs(pid), 0),
    attackers: attackers === undefined ? 0 : cpuMs(attackers),
    database: database.reduce((a, pid) => a + cpuMs(pid), 0),
    client: (c.user + c.system) / 1000,
    machine: machineCpu(),
  };
}
function spent(a: Reading, b: Reading): Reading {
  return {
    wall: b.wall - a.wall,
    service: b.service - a.service,
    serviceWait: b.serviceWait - a.serviceWait,
    databaseWait: b.databaseWait - a.databaseWait,
    attackers: b.attackers - a.attackers,
    database: b.database - a.database,
    client: b.client - a.client,
    machine: { busy: b.machine.busy - a.machine.busy, all: b.machine.all - a.machine.all },
  };
}
function add(a: Reading, b: Reading): Reading {
  return {
    wall: a.wall + b.wall,
    service: a.service + b.service,
    serviceWait: a.serviceWait + b.serviceWait,
    databaseWait: a.databaseWait + b.databaseWait,
    attackers: a.attackers + b.attackers,
    database: a.database + b.database,
    client: a.client + b.client,
    machine: { busy: a.machine.busy + b.machine.busy, all: a.machine.all + b.machine.all },
  };
}
const none: Reading = { wall: 0, service: 0, serviceWait: 0, databaseWait: 0, attackers: 0, database: 0, client: 0, machine: { busy: 0, all: 0 } };

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "misar-hostile-"));
  const db = process.env.MONGODB_URI ? undefined : await startEmbeddedDatabase(ROOT, join(dir, "ferretdb"), createLogger("warn"));
  const uri = process.env.MONGODB_URI ?? db!.uri;
  const database = `bench_hostile_${Date.now().toString(36)}`;
  const store = await Store.open(uri, database);
  const { key } = await store.keys.create("acct_hostile", ["analytics", "track", "ingest"], new Date());
  // The attackers' valid key is another account's: with rate limits on, its bucket is not the victim's.
  const { key: attackerKey } = await store.keys.create("acct_attacker", ["analytics", "track", "ingest"], new Date());
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      MONGODB_URI: uri,
      MONGODB_DATABASE: database,
      PORT: "0",
      LOG_LEVEL: "info",
      ...(RATE_LIMITS ? {} : { RATE_LIMIT_PER_KEY: "0", RATE_LIMIT_PER_ADDRESS: "0" }),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  if (process.env.HOSTILE_LOG) child.stderr!.pipe(createWriteStream(process.env.HOSTILE_LOG));
  // The service's own time for each legitimate request (its log line's `ms`: interceptors,
  // handler, database), by request id.
  const serviceMs = new Map<string, number>();
  let logTail = "";
  child.stderr!.on("data", (d: Buffer) => {
    const lines = (logTail + d.toString()).split("\n");
    logTail = lines.pop()!;
    for (const line of lines) {
      if (!line.includes('"rid":"legit-')) continue;
      const m = /"rid":"(legit-[^"]+)".*"ms":([\d.]+)/.exec(line);
      if (m) serviceMs.set(m[1]!, Number(m[2]));
    }
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = "";
    const scan = (d: Buffer) => {
      buf += d.toString();
      const m = /"msg":"listening"[^\n]*"port":(\d+)/.exec(buf);
      if (!m) return;
      // Found: from here on the log is only read for the legitimate requests' lines.
      child.stderr!.off("data", scan);
      resolve(Number(m[1]));
    };
    child.stderr!.on("data", scan);
    child.once("exit", (c) => reject(new Error(`service exited ${c}: ${buf}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const pid = child.pid!;
  const out: string[] = [];
  const say = (s: string) => {
    out.push(s);
    console.log(s);
  };
  say(`# Hostile traffic — ${new Date().toISOString()}`);
  const loadBefore = loadavg();
  say(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}; database: ${db ? `embedded ${db.kind}` : "MONGODB_URI"}; ${N} requests per attack; rate limits ${RATE_LIMITS ? "on (defaults)" : "off"}\n`);

  await legitLatencies(base, key, 30, "warmup");
  say("| attack | key | answer | service CPU per request (ms) | service read per request (KB) | wall p50 / max (ms) |");
  say("|---|---|---|---:|---:|---:|");
  const list = attacks();
  // What the idle service spends anyway (driver heartbeats, supervisor pings, timers), per second.
  const idleBefore = cpuMs(pid);
  await new Promise((r) => setTimeout(r, 2000));
  const background = (cpuMs(pid) - idleBefore) / 2;
  for (const a of list) {
    const answers = new Set<string>();
    const walls: number[] = [];
    // A few first, so the figure is the warm cost, not the JIT compiling the path.
    for (let i = 0; i < WARMUP; i++) await send(base, a, a.auth ? attackerKey : undefined);
    const before = cpuMs(pid);
    const readBefore = bytesRead(pid);
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      answers.add(await send(base, a, a.auth ? attackerKey : undefined));
      walls.push(performance.now() - t);
    }
    const cpu = (cpuMs(pid) - before) / N;
    const read = (bytesRead(pid) - readBefore) / N / 1024;
    say(`| ${a.name} (${a.protocol}) | ${a.auth ? "valid" : "none"} | ${[...answers].join(", ")} | ${cpu.toFixed(3)} | ${read.toFixed(0)} | ${pct(walls, 50).toFixed(1)} / ${Math.max(...walls).toFixed(1)} |`);
  }

  say(`\nThe idle service's own background CPU: ${background.toFixed(2)} ms per second (included above).`);
  // The attackers run in a process of their own (bench/hostile.ts in attacker mode), so the
  // timed client's event loop is not the one building megabyte bodies: its latencies are the
  // service's, not the attack generator's. Both share the machine's cores with the service.
  const attacker = spawn(process.execPath, ["--import", "tsx", join(ROOT, "bench", "hostile.ts")], {
    cwd: ROOT,
    env: { ...process.env, HOSTILE_ATTACK_BASE: base, HOSTILE_ATTACK_KEY: attackerKey },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  // HOSTILE_ATTACKER_NICE > 0 lowers the attackers' CPU priority: a stand-in for attackers on
  // machines of their own (on this one they compete with the service for the same cores).
  if (ATTACKER_NICE) setPriority(attacker.pid!, ATTACKER_NICE);
  const last = cpus().length - 1;
  const ours = last === 1 ? "0" : `0-${last - 1}`;
  if (PIN) {
    pin(attacker.pid!, String(last));
    for (const p of [process.pid, pid, ...childPids("ferretdb")]) pin(p, ours);
  }
  const told = (what: string) =>
    new Promise<unknown>((resolve) => {
      attacker.once("message", resolve);
      attacker.send(what);
    });
  await new Promise<void>((resolve) => attacker.once("message", () => resolve())); // ready, paused
  // Unloaded and loaded phases alternate (ROUNDS of each), so a change in the machine's other
  // load during the run weighs on both alike.
  const idle = new Map<string, number>();
  const loaded = new Map<string, number>();
  const databasePids = childPids("ferretdb");
  if (PIN) say(`\nPinned: the attackers' process on core ${last}; the service, the database and the timing client on core${last === 1 ? "" : "s"} ${ours}, in both phases.`);
  let idleSpent = none;
  let loadedSpent = none;
  const perRound = Math.ceil(LEGIT / ROUNDS);
  for (let r = 0; r < ROUNDS; r++) {
    console.error(`round ${r + 1}/${ROUNDS}: the legitimate request alone, then under attack`);
    let at = reading(pid, attacker.pid, databasePids);
    for (const [k, v] of await legitLatencies(base, key, perRound, "alone")) idle.set(k, v);
    idleSpent = add(idleSpent, spent(at, reading(pid, attacker.pid, databasePids)));
    await told("go");
    at = reading(pid, attacker.pid, databasePids);
    for (const [k, v] of await legitLatencies(base, key, perRound, "attacked")) loaded.set(k, v);
    loadedSpent = add(loadedSpent, spent(at, reading(pid, attacker.pid, databasePids)));
    await told("pause"); // answered once no attack is in flight
  }
  const { fired, unanswered: lost } = (await told("stop")) as { fired: number; unanswered: string[] };
  unanswered.push(...lost);
  // The service's log lines for the last requests may still be on their way.
  await new Promise((r) => setTimeout(r, 200));
  const idleMs = [...idle.values()];
  const loadedMs = [...loaded.values()];
  say(`\nLegitimate GET /api/v1/analytics/overview?period=30d, ${idle.size} sequential requests alone and ${loaded.size} under attack, in ${ROUNDS} alternating rounds:`);
  say(`- unloaded: p50 ${pct(idleMs, 50).toFixed(1)} ms, p99 ${pct(idleMs, 99).toFixed(1)} ms`);
  say(`- while ${CONCURRENCY} attackers (their own process, nice ${ATTACKER_NICE}) loop over every attack above (${fired} attacks sent, ${((fired * 1000) / loadedSpent.wall).toFixed(0)}/s): p50 ${pct(loadedMs, 50).toFixed(1)} ms, p99 ${pct(loadedMs, 99).toFixed(1)} ms`);
  say(`- p99 loaded / unloaded: ${(pct(loadedMs, 99) / pct(idleMs, 99)).toFixed(2)}×`);
  // Where a legitimate request's time went: the service's own handling of it (log `ms`) and
  // the rest (waiting to be read and answered: the event loop busy with other work, or the
  // process not on a core; plus the client's and the kernel's share).
  const split = (m: Map<string, number>) => {
    const own = [...m.keys()].map((k) => serviceMs.get(k)).filter((x): x is number => x !== undefined);
    const waited = [...m.entries()].filter(([k]) => serviceMs.has(k)).map(([k, v]) => v - serviceMs.get(k)!);
    return own.length ? `handled in p50 ${pct(own, 50).toFixed(1)} / p99 ${pct(own, 99).toFixed(1)} ms, the rest p50 ${pct(waited, 50).toFixed(1)} / p99 ${pct(waited, 99).toFixed(1)} ms (${own.length} matched)` : "no log lines matched";
  };
  say(`- the service's own time for them (its log's ms) — unloaded: ${split(idle)}; under attack: ${split(loaded)}`);
  say("\nCPU by party (ms of CPU per second of wall time, i.e. thousandths of a core; the machine has " + cpus().length + " cores):\n");
  say("| phase | wall (s) | service | attackers | database | timing client | whole machine busy | of which others (machine − the four) | service's event loop waiting for a core | database waiting for a core (all threads) |");
  say("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const [name, x] of [["unloaded", idleSpent], ["under attack", loadedSpent]] as const) {
    const per = (v: number) => ((v * 1000) / x.wall).toFixed(0);
    const ours = x.service + x.attackers + x.database + x.client;
    say(`| ${name} | ${(x.wall / 1000).toFixed(1)} | ${per(x.service)} | ${per(x.attackers)} | ${per(x.database)} | ${per(x.client)} | ${per(x.machine.busy)} of ${per(x.machine.all)} | ${per(Math.max(0, x.machine.busy - ours))} | ${per(x.serviceWait)} | ${per(x.databaseWait)} |`);
  }
  const attackCpu = loadedSpent.service - (idleSpent.service * loaded.size) / Math.max(1, idle.size);
  say(`\n- the service's CPU for the attacks: ${attackCpu.toFixed(0)} ms for ${fired} attacks (its CPU under attack minus what the same number of legitimate requests cost alone) = ${(attackCpu / fired).toFixed(2)} ms per attack; at ${((fired * 1000) / loadedSpent.wall).toFixed(0)} attacks/s that is ${(attackCpu / loadedSpent.wall).toFixed(2)} of a core`);
  const perLegit = (x: Reading, n: number, f: (r: Reading) => number) => (f(x) / n).toFixed(2);
  say(`- per legitimate request: the service's CPU ${perLegit(idleSpent, idle.size, (r) => r.service)} ms alone / ${perLegit(loadedSpent, loaded.size, (r) => r.service)} ms under attack (the attacks' included), its event loop waiting for a core ${perLegit(idleSpent, idle.size, (r) => r.serviceWait)} / ${perLegit(loadedSpent, loaded.size, (r) => r.serviceWait)} ms, the database's ${perLegit(idleSpent, idle.size, (r) => r.databaseWait)} / ${perLegit(loadedSpent, loaded.size, (r) => r.databaseWait)} ms`);
  say(`- load average: ${loadBefore} before the run, ${loadavg()} after`);
  say(`- gRPC calls (h2c sessions of 50 calls each) with no answer within 15 s: ${unanswered.length}${unanswered.map((u) => `\n  - ${u}`).join("")}`);

  session?.close();
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  await store.db.dropDatabase().catch(() => undefined);
  await store.close();
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Attacker mode: loops over every attack with HOSTILE_CONCURRENCY in flight while told "go";
 * "pause" is answered once no attack is in flight, "stop" with what was fired.
 */
async function attack(base: string, attackerKey: string): Promise<void> {
  let state: "paused" | "go" | "stop" = "paused";
  let pausing = false;
  let fired = 0;
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const settle = () => {
    if (!pausing || inFlight > 0) return;
    pausing = false;
    process.send!("paused");
  };
  process.on("message", (m) => {
    state = m === "pause" ? "paused" : (m as typeof state);
    if (state === "go") process.send!("going");
    if (state === "paused") {
      pausing = true;
      settle();
    }
    for (const wake of waiting.splice(0)) wake();
  });
  const list = attacks();
  process.send!("ready");
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let i = w; state !== "stop"; i++) {
        if (state === "paused") {
          await new Promise<void>((wake) => waiting.push(wake));
          continue;
        }
        const a = list[i % list.length]!;
        inFlight++;
        await send(base, a, a.auth ? attackerKey : undefined);
        fired++;
        inFlight--;
        settle();
      }
    }),
  );
  session?.close();
  process.send!({ fired, unanswered }, undefined, {}, () => process.exit(0));
}

const attackBase = process.env.HOSTILE_ATTACK_BASE;
(attackBase ? attack(attackBase, process.env.HOSTILE_ATTACK_KEY!) : main()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
