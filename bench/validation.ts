// What the validation interceptor (src/rpc/validation.ts: the contract's buf.validate rules and
// the server's own) costs per request in CPU time, in process, without network or database: cold (the first
// request of a type compiles its rules) and warm (p50/p99 of BENCH_VALIDATION_ROUNDS calls), for
// email-event batches of 1, 100 and 1,000 events, valid, all invalid and only the last invalid,
// 10,000 events (the decoder's item limit; the contract allows 1,000), and a purchase. The
// server compiles every type's rules when it starts; BENCH_VALIDATION_COLD=1 shows what that saves.
//   npx tsx bench/validation.ts
import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ConnectError, createContextValues, type UnaryRequest } from "@connectrpc/connect";
import { IngestService, RecordEmailEventsRequestSchema } from "../gen/es/misar/analytics/v1/ingest_service_pb.js";
import { TrackService } from "../gen/es/misar/analytics/v1/track_service_pb.js";
import { validationInterceptor } from "../src/rpc/validation.js";

const ROUNDS = Number(process.env.BENCH_VALIDATION_ROUNDS ?? 200);
const now = new Date("2026-04-06T12:00:00Z");
// BENCH_VALIDATION_COLD=1: no compiling at construction, so the first call of each type pays it.
const inputs = process.env.BENCH_VALIDATION_COLD ? [] : [IngestService, TrackService].flatMap((s) => s.methods.map((m) => m.input));
const check = validationInterceptor(() => now, inputs)(async (req) => ({ stream: false, service: req.service, method: req.method, header: new Headers(), trailer: new Headers(), message: {} }) as never);

function request(method: { input: DescMessage; parent: never } & object, message: MessageShape<DescMessage>) {
  return { stream: false, service: method.parent, method, requestMethod: "POST", url: "", signal: new AbortController().signal, header: new Headers(), contextValues: createContextValues(), message } as unknown as UnaryRequest;
}

/** CPU time (user + system) of one check, in ms: wall time on a shared machine says little. */
async function time(req: UnaryRequest): Promise<number> {
  const t = process.cpuUsage();
  await check(req).catch((e: unknown) => {
    if (!(e instanceof ConnectError)) throw e;
  });
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

/** `n` events; `valid` says which are right (the others break 3 rules each). */
const events = (n: number, valid: boolean | ((i: number) => boolean)) =>
  create(RecordEmailEventsRequestSchema, {
    events: Array.from({ length: n }, (_, i) => {
      const ok = typeof valid === "function" ? valid(i) : valid;
      return {
        id: `e-${i}`,
        type: ok ? 3 : 5, // an open, or a bounce without its bounce_type
        contactEmail: ok ? `user${i}@example.com` : `user${i}`,
        timestamp: timestampFromMs(now.getTime() - 86_400_000 + i * 1000),
        campaignId: ok ? "camp_abc" : "bad id",
        userAgent: "Mozilla/5.0",
      };
    }),
  });

const cases: [string, UnaryRequest][] = [
  ["RecordEmailEvents, 1 event", request(IngestService.method.recordEmailEvents as never, events(1, true))],
  ["RecordEmailEvents, 100 events", request(IngestService.method.recordEmailEvents as never, events(100, true))],
  ["RecordEmailEvents, 1,000 events", request(IngestService.method.recordEmailEvents as never, events(1000, true))],
  ["RecordEmailEvents, 1,000 events, each 3 violations", request(IngestService.method.recordEmailEvents as never, events(1000, false))],
  ["RecordEmailEvents, 1,000 events, only the last one wrong", request(IngestService.method.recordEmailEvents as never, events(1000, (i) => i < 999))],
  ["RecordEmailEvents, 10,000 valid events (over the 1,000 allowed)", request(IngestService.method.recordEmailEvents as never, events(10_000, true))],
  [
    "TrackPurchase, 10 items",
    request(TrackService.method.trackPurchase as never, create(TrackService.method.trackPurchase.input, {
      contactEmail: "a@example.com", amount: 10, currency: "USD", orderId: "o-1",
      items: Array.from({ length: 10 }, (_, i) => ({ name: `item ${i}`, quantity: 1n, price: 1 })),
    })),
  ],
];

console.log(`| request | cold (CPU ms) | warm p50 (CPU ms) | warm p99 (CPU ms) |\n|---|---:|---:|---:|`);
for (const [name, req] of cases) {
  const cold = await time(req);
  const warm: number[] = [];
  for (let i = 0; i < ROUNDS; i++) warm.push(await time(req));
  warm.sort((a, b) => a - b);
  const q = (p: number) => warm[Math.min(warm.length - 1, Math.floor(p * warm.length))]!.toFixed(2);
  console.log(`| ${name} | ${cold.toFixed(1)} | ${q(0.5)} | ${q(0.99)} |`);
}
