/**
 * `npx tsx bench/h2c-overhead.ts`: what the one-port HTTP/1.1 + h2c listener costs gRPC.
 *
 * The service sniffs each connection's first bytes and hands HTTP/2 connections to Node's http2
 * server (src/server/listener.ts; a JS Duplex relay until issue 12's fourth stop, the socket
 * itself now). This compares one trivial unary gRPC
 * route (grpc.health.v1.Health/Check answering SERVING, no database) served by the same
 * connectNodeAdapter handler
 *   (a) "dual":  through createDualListener(h1, h2), as the service does, and
 *   (b) "plain": by http2.createServer listening on its own port,
 * each in its own child process (so client and server do not share an event loop), driven by a
 * gRPC client over one HTTP/2 connection for a fixed number of unary calls at concurrency 1 and
 * 16. Clients: createGrpcTransport from @connectrpc/connect-node, and @grpc/grpc-js.
 *
 * Env: H2C_CALLS (calls per measurement, default 10000), H2C_ROUNDS (default 3; each round
 * measures both servers, in alternating order; the table shows the median round by req/s),
 * H2C_CONCURRENCY (default "1,16"), H2C_CLIENTS (default "connect,grpc-js").
 */
import { fork, type ChildProcess } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { createServer as createHttp1Server } from "node:http";
import { createServer as createHttp2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as Status,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from "../gen/es/grpc/health/v1/health_pb.js";
import { createDualListener } from "../src/server/listener.js";

type Mode = "dual" | "plain" | "dual-nodelay";
type ClientKind = "connect" | "grpc-js";

const CALLS = Number(process.env.H2C_CALLS ?? 10_000);
const ROUNDS = Number(process.env.H2C_ROUNDS ?? 3);
const CONCURRENCY = (process.env.H2C_CONCURRENCY ?? "1,16").split(",").map(Number);
const CLIENTS = (process.env.H2C_CLIENTS ?? "connect,grpc-js").split(",") as ClientKind[];
const WARMUP = Number(process.env.H2C_WARMUP ?? 1000);
const MODES = (process.env.H2C_MODES ?? "dual,plain,dual-nodelay").split(",") as Mode[];

// ---------------------------------------------------------------------------------------------
// Server side (child process)

async function serve(mode: Mode): Promise<void> {
  const handler = connectNodeAdapter({
    routes: (router) =>
      router.service(Health, {
        check: () => ({ status: Status.SERVING }),
        list: () => ({ statuses: {} }),
        // eslint-disable-next-line require-yield
        async *watch() {
          return;
        },
      }),
  });
  const h2 = createHttp2Server({}, handler);
  let port: number;
  if (mode === "dual" || mode === "dual-nodelay") {
    const h1 = createHttp1Server(handler);
    const listener = createDualListener(h1, h2);
    // The candidate fix, applied from outside: TCP_NODELAY on every accepted socket (the service's
    // listener leaves Nagle on, so small h2 frames wait for the peer's delayed ACK).
    if (mode === "dual-nodelay") listener.prependListener("connection", (s: import("node:net").Socket) => s.setNoDelay(true));
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    port = (listener.address() as AddressInfo).port;
  } else {
    await new Promise<void>((r) => h2.listen(0, "127.0.0.1", r));
    port = (h2.address() as AddressInfo).port;
  }
  process.send!({ port });
  process.on("disconnect", () => process.exit(0));
}

function startServer(mode: Mode): Promise<{ port: number; child: ChildProcess }> {
  const child = fork(fileURLToPath(import.meta.url), ["--serve", mode], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("message", (m: { port: number }) => resolve({ port: m.port, child }));
    child.once("exit", (code) => reject(new Error(`server child exited ${code}`)));
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.once("exit", () => resolve());
    child.disconnect();
  });
}

// ---------------------------------------------------------------------------------------------
// Client side

interface Caller {
  call(): Promise<void>;
  close(): void;
}

function connectCaller(port: number): Caller {
  const client = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  return {
    async call() {
      const r = await client.check({ service: "" });
      if (r.status !== Status.SERVING) throw new Error(`status ${r.status}`);
    },
    close() {},
  };
}

const HealthClient = grpc.makeGenericClientConstructor(
  {
    check: {
      path: "/grpc.health.v1.Health/Check",
      requestStream: false,
      responseStream: false,
      requestSerialize: (m: HealthCheckRequest) => Buffer.from(toBinary(HealthCheckRequestSchema, m)),
      requestDeserialize: (b: Buffer) => fromBinary(HealthCheckRequestSchema, b),
      responseSerialize: (m: HealthCheckResponse) => Buffer.from(toBinary(HealthCheckResponseSchema, m)),
      responseDeserialize: (b: Buffer) => fromBinary(HealthCheckResponseSchema, b),
    },
  },
  "Health",
);

function grpcJsCaller(port: number): Caller {
  const client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    check(req: HealthCheckRequest, cb: (err: grpc.ServiceError | null, res?: HealthCheckResponse) => void): void;
  };
  const req = create(HealthCheckRequestSchema, { service: "" });
  return {
    call() {
      return new Promise((resolve, reject) =>
        client.check(req, (err, res) => {
          if (err) reject(err);
          else if (res?.status !== Status.SERVING) reject(new Error(`status ${res?.status}`));
          else resolve();
        }),
      );
    },
    close() {
      client.close();
    },
  };
}

interface Measure {
  rps: number;
  p50: number;
  p99: number;
  mean: number;
}

async function measure(caller: Caller, calls: number, concurrency: number): Promise<Measure> {
  const lat = new Float64Array(calls);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        const i = next++;
        const t = performance.now();
        await caller.call();
        lat[i] = performance.now() - t;
      }
    }),
  );
  const ms = performance.now() - t0;
  lat.sort();
  const q = (p: number) => lat[Math.min(calls - 1, Math.ceil(p * calls) - 1)]!;
  return { rps: (calls / ms) * 1000, p50: q(0.5), p99: q(0.99), mean: lat.reduce((a, b) => a + b, 0) / calls };
}

async function main(): Promise<void> {
  const cpu = cpus();
  console.log(`# h2c one-port listener overhead — ${new Date().toISOString()}`);
  console.log(`machine: ${cpu[0]?.model ?? "?"}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM; node ${process.version}`);
  console.log(`grpc.health.v1.Health/Check (no DB), ${CALLS} unary calls per measurement after ${WARMUP} warm-up, one HTTP/2 connection per client;`);
  console.log(`${ROUNDS} rounds, servers in alternating order; server in a child process; median round (by req/s) shown\n`);

  const results = new Map<string, Measure[]>(); // key: client|c|mode
  for (let round = 0; round < ROUNDS; round++) {
    const order: Mode[] = round % 2 === 0 ? MODES : [...MODES].reverse();
    for (const mode of order) {
      const { port, child } = await startServer(mode);
      try {
        for (const kind of CLIENTS) {
          const caller = kind === "connect" ? connectCaller(port) : grpcJsCaller(port);
          try {
            await measure(caller, WARMUP, 16);
            for (const c of CONCURRENCY) {
              const m = await measure(caller, CALLS, c);
              const key = `${kind}|${c}|${mode}`;
              results.set(key, [...(results.get(key) ?? []), m]);
              console.error(`round ${round + 1} ${mode.padEnd(12)} ${kind.padEnd(7)} c=${String(c).padEnd(2)} ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${m.p50.toFixed(3)} ms  p99 ${m.p99.toFixed(3)} ms`);
            }
          } finally {
            caller.close();
          }
        }
      } finally {
        await stopServer(child);
      }
    }
  }

  const median = (ms: Measure[]) => [...ms].sort((a, b) => a.rps - b.rps)[Math.floor(ms.length / 2)]!;
  const rows: string[][] = [["client", "conc", "server", "req/s", "p50 ms", "p99 ms", "mean ms", "req/s vs plain", "p50 vs plain"]];
  for (const kind of CLIENTS) {
    for (const c of CONCURRENCY) {
      const p = results.has(`${kind}|${c}|plain`) ? median(results.get(`${kind}|${c}|plain`)!) : undefined;
      for (const mode of MODES) {
        const m = median(results.get(`${kind}|${c}|${mode}`)!);
        rows.push([
          kind,
          String(c),
          mode,
          m.rps.toFixed(0),
          m.p50.toFixed(3),
          m.p99.toFixed(3),
          m.mean.toFixed(3),
          p && mode !== "plain" ? `${(((m.rps - p.rps) / p.rps) * 100).toFixed(1)}%` : "",
          p && mode !== "plain" ? `${(((m.p50 - p.p50) / p.p50) * 100).toFixed(1)}%` : "",
        ]);
      }
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(line(rows[0]!));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(line(r));
  console.log("\nplain = http2.createServer listening itself; dual = createDualListener (src/server/listener.ts) as the service uses it;");
  console.log("dual-nodelay = the same plus socket.setNoDelay(true) on accepted sockets (a candidate fix, applied from outside src/)");
}

const i = process.argv.indexOf("--serve");
if (i >= 0) {
  void serve(process.argv[i + 1] as Mode);
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
