// Without a valid key nothing of the body matters: 401 / UNAUTHENTICATED on every protocol,
// whatever the body holds, and nothing stored. Over the size limit the answer is the same on
// every protocol's terms: 413 on REST, RESOURCE_EXHAUSTED with the same message elsewhere.
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { TestService } from "../helpers/service.js";
import { storedFor } from "../write/support.js";
import { RPC_PROTOCOLS, callRest, callRpc, startWithAccount } from "./wire.js";
import { RECORD_EVENTS, TRACK_PURCHASE, deepPropertiesBinary, purchaseWithRawOrderId } from "./inputs.js";

let svc: TestService, account: string, key: string;
beforeAll(async () => ({ svc, account, key } = await startWithAccount()));
afterAll(() => svc?.close());

const MIB = 1024 * 1024;
const BODIES: { name: string; body: Uint8Array | string }[] = [
  { name: "malformed protobuf", body: Uint8Array.from([0xff, 0xff, 0xff]) },
  { name: "malformed JSON", body: "{" },
  { name: "~1 MiB of [1,1,1,…] events", body: `{"events":[${"1,".repeat(500_000)}1]}` },
  { name: "10,000-deep properties", body: deepPropertiesBinary(10_000) },
  { name: "invalid UTF-8", body: purchaseWithRawOrderId([0x6f, 0xff]) },
];

describe("no key or a bad key + any body → 401 / UNAUTHENTICATED, nothing stored", () => {
  for (const auth of [{ name: "no key" }, { name: "unknown key", key: "msk_" + "Zz09".repeat(8) }, { name: "malformed key", headers: { authorization: "Bearer nope" } }]) {
    test(auth.name, async () => {
      for (const b of BODIES) {
        const r = await callRest(svc, "POST", "/api/v1/ingest/email-events", b.body, { key: auth.key, headers: auth.headers });
        expect([r.status, r.code], `rest ${b.name}`).toEqual([401, "unauthenticated"]);
        for (const protocol of RPC_PROTOCOLS) {
          const a = await callRpc(svc, protocol, RECORD_EVENTS, b.body, { key: auth.key, headers: auth.headers });
          expect(a.code, `${protocol} ${b.name}: ${a.message}`).toBe("unauthenticated");
          if (protocol === "connect-json" || protocol === "connect-binary") expect(a.status).toBe(401);
        }
      }
      expect(await storedFor(svc, account)).toEqual({});
    });
  }
});

test("over the size limit: REST 413, every RPC protocol RESOURCE_EXHAUSTED with the same message", async () => {
  const big = new Uint8Array(MIB + 1);
  const r = await callRest(svc, "POST", "/api/v1/track/purchase", big, { key });
  expect([r.status, r.code]).toEqual([413, "payload_too_large"]);
  for (const protocol of RPC_PROTOCOLS) {
    const a = await callRpc(svc, protocol, TRACK_PURCHASE, big, { key, raw: true });
    expect(a.code, protocol).toBe("resource_exhausted");
    expect(a.message, protocol).toBe(r.message);
  }
  // Before the key: the declared size alone is refused.
  expect((await callRest(svc, "POST", "/api/v1/track/purchase", big)).status).toBe(413);
  expect(await storedFor(svc, account)).toEqual({});
});

test("every response carries the quota headers", async () => {
  const answers = [
    await callRest(svc, "POST", "/api/v1/track/purchase", "{", { key }),
    await callRest(svc, "GET", "/api/v1/analytics/overview"),
    ...(await Promise.all(RPC_PROTOCOLS.map((p) => callRpc(svc, p, TRACK_PURCHASE, "{", { key })))),
    // Answers that need no key: not found (REST, RPC, anywhere), method not allowed, health.
    await callRest(svc, "GET", "/api/v1/nothing-here"),
    await callRest(svc, "GET", "/no/such/path"),
    await callRpc(svc, "connect-json", "misar.analytics.v1.AnalyticsService/NoSuchMethod", "{}"),
    await callRest(svc, "DELETE", "/api/v1/analytics/overview"),
    await callRest(svc, "GET", "/healthz"),
  ];
  expect(answers.slice(-5).map((a) => a.status)).toEqual([404, 404, 404, 405, 200]);
  for (const a of answers) {
    expect(Number(a.headers.get("ratelimit-limit")), a.code).toBeGreaterThan(0);
    expect(a.headers.get("ratelimit-remaining"), a.code).toMatch(/^\d+$/);
    expect(a.headers.get("ratelimit-reset"), a.code).toMatch(/^\d+$/);
  }
});

// The service runs in this process (test/helpers/service.ts), so /proc/self/io counts the bytes
// its sockets read (Linux only; the client's reads of the small answers are noise).
test.skipIf(!existsSync("/proc/self/io"))("without a key, an HTTP/1.1 body is not read beyond what came with the headers", async () => {
  const bytesRead = () => Number(/rchar: (\d+)/.exec(readFileSync("/proc/self/io", "utf8"))![1]);
  const body = new Uint8Array(MIB - 1024).fill(0x31);
  const n = 20;
  const before = bytesRead();
  for (let i = 0; i < n; i++) {
    const r = await callRest(svc, "POST", "/api/v1/ingest/email-events", body);
    expect(r.status).toBe(401);
  }
  // The first read (at most 64 KB) carries the headers. Node's own handling of an unread body
  // (drain it, or with `connection: close` read on until its half-close is done) took ~190 KB.
  expect((bytesRead() - before) / n).toBeLessThan(100 * 1024);
});
