/**
 * `npm run bench:ingest-profile`: where one ingest batch's time goes. Loads the benchmark's
 * dataset through the REST ingest (batches of 1,000, as `npm run bench`) and, for the last
 * PROFILE_BATCHES batches, lists every database command the service sent (by collection and
 * command: round trips, documents written, milliseconds), beside a bare insertMany of the same
 * documents. The commands of one batch run one after another on FerretDB's SQLite backend but
 * for a few reads sent together and the renewals' timer: the time with any command in flight is
 * the batch's database time ("database busy"); the rest is the request's own work. Where the
 * embedded database runs here, the CPU time each side used per batch is printed too: this process
 * (service and client) and the database server (from /proc), for the service and for the bare
 * insertMany; on two cores their sum bounds how far overlapping the two could go.
 *
 * Env: PROFILE_EVENTS (default 20000: the dataset's size), PROFILE_FROM (default 0: the first
 * batch loaded; e.g. PROFILE_EVENTS=1000000 PROFILE_FROM=500 PROFILE_LOAD=20 loads 20 batches from
 * the middle of the 10^6 dataset, each spanning about two hours as at that size), PROFILE_LOAD
 * (default: all the rest), PROFILE_BATCHES (default 5: the last ones loaded are profiled),
 * BENCH_SEED (42), MONGODB_URI (a MongoDB instead of the embedded FerretDB), COUNT_DELAY_MS (the
 * service's default; 0 counts each batch before its 200, as before the count delay).
 *
 * The two sides take turns by 10 batches, as `npm run bench` does: the service's turn ends once
 * its batches are counted, so its counting (which trails the 200s) is in its own time, never in
 * the baseline's.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { MongoClient, type CommandStartedEvent, type CommandSucceededEvent, type CommandFailedEvent } from "mongodb";
import { startEmbeddedDatabase } from "../src/db/embedded.js";
import { DEFAULT_COUNT_DELAY_MS } from "../src/config.js";
import { createLogger, silentLogger } from "../src/log.js";
import { AnalyticsServer } from "../src/server/server.js";
import { Store } from "../src/storage/store.js";
import type { EmailEventDoc } from "../src/storage/email-events.js";
import { NOW, generate, toInput, type WireEvent } from "./dataset.js";

const ROOT = process.cwd();
const EVENTS = Number(process.env.PROFILE_EVENTS ?? 20_000);
const FROM = Number(process.env.PROFILE_FROM ?? 0);
const LOAD = Number(process.env.PROFILE_LOAD ?? Infinity);
const PROFILED = Number(process.env.PROFILE_BATCHES ?? 5);
const SEED = Number(process.env.BENCH_SEED ?? 42);
const ACCOUNT = "acct_profile";
const BATCH = 1000;
const TURN_BATCHES = 10;
const COUNT_DELAY_MS = Number(process.env.COUNT_DELAY_MS ?? DEFAULT_COUNT_DELAY_MS);

interface Step {
  calls: number;
  docs: number;
  ms: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "misar-profile-"));
  const embedded = process.env.MONGODB_URI ? undefined : await startEmbeddedDatabase(ROOT, join(dir, "ferretdb"), createLogger("warn"));
  const uri = process.env.MONGODB_URI ?? embedded!.uri;
  const name = `profile_${Date.now().toString(36)}`;
  const store = await Store.open(uri + (uri.includes("?") ? "&" : "?") + "monitorCommands=true", name, { countDelayMs: COUNT_DELAY_MS });
  await store.db.createCollection("bench_raw_events");
  await embedded?.indexIdLookups(name);
  const server = await AnalyticsServer.create({ store, log: silentLogger, host: "127.0.0.1", port: 0, root: ROOT, now: () => new Date(NOW) });
  const raw = new MongoClient(uri);
  await raw.connect();
  const rawCol = raw.db(name).collection<EmailEventDoc>("bench_raw_events");
  const { key } = await store.keys.create(ACCOUNT, ["ingest"], new Date());
  const url = `http://127.0.0.1:${server.port}/api/v1/ingest/email-events`;

  // Every command the service sends, while `recording`.
  let recording = false;
  const started = new Map<number, { name: string; docs: number; at: number }>();
  const steps = new Map<string, Step>();
  // Time with at least one command in flight (commands may overlap: the renewals' timer, reads
  // sent together), so that what is left of a batch's time is the service's own work.
  let inFlight = 0;
  let busySince = 0;
  let busyMs = 0;
  const client = store.db.client;
  client.on("commandStarted", (e: CommandStartedEvent) => {
    if (!recording) return;
    const cmd = e.command as Record<string, unknown>;
    const col = typeof cmd[e.commandName] === "string" ? (cmd[e.commandName] as string) : "";
    const docs = Array.isArray(cmd.documents) ? cmd.documents.length : Array.isArray(cmd.updates) ? cmd.updates.length : Array.isArray(cmd.deletes) ? cmd.deletes.length : 0;
    started.set(e.requestId, { name: `${e.commandName} ${col}`, docs, at: performance.now() });
    if (inFlight++ === 0) busySince = performance.now();
  });
  const done = (e: CommandSucceededEvent | CommandFailedEvent) => {
    const s = started.get(e.requestId);
    if (!s) return;
    started.delete(e.requestId);
    if (--inFlight === 0) busyMs += performance.now() - busySince;
    const step = steps.get(s.name) ?? { calls: 0, docs: 0, ms: 0 };
    step.calls++;
    step.docs += s.docs;
    step.ms += performance.now() - s.at;
    steps.set(s.name, step);
  };
  client.on("commandSucceeded", done);
  client.on("commandFailed", done);

  const events = generate(EVENTS, SEED);
  const all = Array.from({ length: Math.ceil(events.length / BATCH) }, (_, i) => events.slice(i * BATCH, (i + 1) * BATCH));
  const batches = all.slice(FROM, FROM + LOAD);
  let serviceMs = 0;
  let rawMs = 0;
  // CPU time (ms) of this process (service and client) and of the embedded database, per side.
  const cpu = { service: { node: 0, db: 0 }, raw: { node: 0, db: 0 } };
  const timed = async (side: keyof typeof cpu | undefined, work: () => Promise<unknown>): Promise<number> => {
    const [t, node, db] = [performance.now(), process.cpuUsage(), databaseCpuMs(embedded?.pid)];
    await work();
    const used = process.cpuUsage(node);
    if (side) {
      cpu[side].node += (used.user + used.system) / 1000;
      cpu[side].db += databaseCpuMs(embedded?.pid) - db;
    }
    return performance.now() - t;
  };
  let profiledBatches = 0;
  for (let turn = 0; turn < batches.length; turn += TURN_BATCHES) {
    // A turn is profiled whole if it holds any of the last PROFILED batches.
    const some = batches.slice(turn, turn + TURN_BATCHES);
    const profiled = turn + some.length > batches.length - PROFILED;
    if (profiled) profiledBatches += some.length;
    for (const [j, b] of some.entries()) {
      const docs = store.emailEvents.toDocs(ACCOUNT, `raw${turn + j}`, b.map(toInput));
      const rawTook = await timed(profiled ? "raw" : undefined, () => rawCol.insertMany(docs, { ordered: false }));
      if (profiled) rawMs += rawTook;
    }
    recording = profiled;
    const took = await timed(profiled ? "service" : undefined, async () => {
      for (const b of some) await post(url, key, b);
      await store.ingest.counted(ACCOUNT, 60_000);
    });
    if (profiled) serviceMs += took;
    recording = false;
  }

  const per = (x: number) => (x / profiledBatches).toFixed(1);
  console.log(`# ingest profile: batches ${FROM}..${FROM + batches.length - 1} of ${EVENTS.toLocaleString("en-US")} events loaded, the last ${profiledBatches} batches of ${BATCH} profiled (per batch below)`);
  console.log(`database: ${store.caps.server}; count delay ${COUNT_DELAY_MS} ms\n`);
  console.log(`service ${per(serviceMs)} ms per batch, raw insertMany ${per(rawMs)} ms: service/raw ${((rawMs / serviceMs) * 100).toFixed(1)}%\n`);
  console.log("command                                  calls   docs      ms");
  let dbMs = 0;
  let calls = 0;
  for (const [cmd, s] of [...steps].sort((x, y) => y[1].ms - x[1].ms)) {
    dbMs += s.ms;
    calls += s.calls;
    console.log(`${cmd.padEnd(40)} ${per(s.calls).padStart(5)} ${per(s.docs).padStart(6)} ${per(s.ms).padStart(7)}`);
  }
  console.log(`${"all database commands".padEnd(40)} ${per(calls).padStart(5)} ${"".padStart(6)} ${per(dbMs).padStart(7)}`);
  console.log(`${"database busy (commands in flight, overlaps once)".padEnd(47)} ${per(busyMs).padStart(7)}`);
  if (embedded?.pid !== undefined) {
    const c = (side: keyof typeof cpu) => `this process ${per(cpu[side].node)} ms, database ${per(cpu[side].db)} ms`;
    console.log(`CPU per batch (2 cores): service ${c("service")}; raw insertMany ${c("raw")}`);
  }
  console.log(`${"outside the database (HTTP, decode, validate, build)".padEnd(47)} ${per(serviceMs - busyMs).padStart(7)}`);

  await server.close(1000);
  await raw.close();
  await store.close();
  await embedded?.stop();
  rmSync(dir, { recursive: true, force: true });
}

async function post(url: string, key: string, events: WireEvent[]): Promise<void> {
  const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ events }) });
  const body = (await res.json()) as { accepted?: number };
  if (res.status !== 200 || body.accepted !== events.length) throw new Error(`ingest ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
}

await main();

/** CPU time (user + system, ms) the process has used so far, from /proc (0 where there is none). */
function databaseCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 a second).
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}
