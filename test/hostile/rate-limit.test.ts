// Rate limits per API key and per client address, answered as each protocol expects.
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { inflated } from "../../src/decode/request.js";
import { DEFAULT_LIMITS } from "../../src/server/limits.js";
import { startService, type TestService } from "../helpers/service.js";
import { RPC_PROTOCOLS, callRest, callRpc, frame, grpc, postChunked } from "./wire.js";
import { GET_OVERVIEW, TRACK_EVENT } from "./inputs.js";

/** Runs `use` on a service of its own whose keys each get a bucket of `requests` refilled over `seconds`, with one such key. */
async function withKeyBucket(requests: number, seconds: number, use: (svc: TestService, key: string) => Promise<void>): Promise<void> {
  const svc = await startService({ limits: { rate: { perKey: { requests, seconds }, perAddress: { requests: 1000, seconds: 60 } } } });
  try {
    const { key } = await svc.newAccount();
    await use(svc, key);
  } finally {
    await svc.close();
  }
}

describe("per API key", () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({ limits: { rate: { perKey: { requests: 3, seconds: 60 }, perAddress: { requests: 1000, seconds: 60 } } } });
  });
  afterAll(async () => {
    await svc?.close();
  });

  test("REST: 3 allowed with falling RateLimit-Remaining, then 429 with Retry-After", async () => {
    const { key } = await svc.newAccount();
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key });
      expect(r.status).toBe(200);
      expect(r.headers.get("ratelimit-limit")).toBe("3");
      remaining.push(r.headers.get("ratelimit-remaining")!);
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const over = await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key });
    expect([over.status, over.code]).toEqual([429, "resource_exhausted"]);
    const retry = Number(over.headers.get("retry-after"));
    // A token bucket of 3 refilled over 60 s: one request's worth comes back every 20 s, the whole bucket in 60.
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(20);
    expect(over.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(over.headers.get("ratelimit-reset"))).toBeGreaterThan(retry);
    expect(Number(over.headers.get("ratelimit-reset"))).toBeLessThanOrEqual(60);
  });

  test("Connect, gRPC, gRPC-Web: RESOURCE_EXHAUSTED with a google.rpc.RetryInfo detail", async () => {
    for (const protocol of RPC_PROTOCOLS) {
      const { key } = await svc.newAccount();
      const body = protocol === "connect-json" ? "{}" : new Uint8Array(0);
      for (let i = 0; i < 3; i++) expect((await callRpc(svc, protocol, GET_OVERVIEW, body, { key })).code, protocol).toBe("ok");
      const over = await callRpc(svc, protocol, GET_OVERVIEW, body, { key });
      expect(over.code, protocol).toBe("resource_exhausted");
      expect(over.retryDelay, protocol).toBeGreaterThan(0);
      expect(over.headers.get("ratelimit-remaining"), protocol).toBe("0");
    }
  });

  test("each key has its own bucket", async () => {
    const a = await svc.newAccount();
    const b = await svc.newAccount();
    for (let i = 0; i < 4; i++) await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key: a.key });
    expect((await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key: b.key })).status).toBe(200);
  });
});

describe("a token bucket, refilled continuously", () => {
  test("an emptied bucket gives back a share of its requests before its refill time is over", async () => {
    // 10 requests refilled over 2 s: one comes back every 200 ms. A fixed window of 2 s would
    // admit none of them until the window ends, then all 10 at once.
    await withKeyBucket(10, 2, async (svc, key) => {
      const overview = () => callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key });
      // Emptied by 20 at once (10 admitted, the rest refused), not one after another: at 200 ms an
      // answer on a slow machine, one by one would never empty it, and the count below would grow
      // with the time each answer takes.
      const burst = await Promise.all(Array.from({ length: 20 }, overview));
      expect(burst.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(10);
      expect(burst.filter((r) => r.status === 429).length).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 500));
      // ~2.5 requests' worth after 500 ms (more if the machine is slow to answer, never the whole
      // bucket): one is admitted, and says what it left.
      const again = await overview();
      expect(again.status).toBe(200);
      expect(Number(again.headers.get("ratelimit-remaining"))).toBeLessThan(9);
    });
  });
});

describe("a body is paid for by its size, before it is read or decoded", () => {
  let svc: TestService;
  const perKey = 40;
  beforeAll(async () => {
    svc = await startService({ limits: { rate: { perKey: { requests: perKey, seconds: 3600 }, perAddress: { requests: 40, seconds: 3600 } } } });
  });
  afterAll(async () => {
    await svc?.close();
  });
  // 200,000 bytes of JSON the service must read and refuse (an unknown field): 4 units.
  const refused = `{"orderId":"o-1","contactEmail":"u@example.com","amount":1,"currency":"USD","x":"${"a".repeat(200_000 - 90)}"}`;

  test("every started 64 KiB past the first costs one more request, refused or accepted, through both doors", async () => {
    const { key } = await svc.newAccount();
    expect(Math.ceil(refused.length / 65536)).toBe(4);
    const a = await callRest(svc, "POST", "/api/v1/track/purchase", refused, { key });
    expect(a.status).toBe(400);
    expect(a.headers.get("ratelimit-remaining")).toBe(String(perKey - 4));
    // A small request costs one, and sees what the large one spent.
    const b = await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key });
    expect([b.status, b.headers.get("ratelimit-remaining")]).toEqual([200, String(perKey - 5)]);
    // An accepted batch of 700 sends (2 units) costs 2.
    const events = Array.from({ length: 700 }, (_, i) => ({ type: "send", contact_email: `u${i}@example.com`, timestamp: "2026-04-01T09:00:00Z", campaign_id: "camp_a" }));
    const batch = JSON.stringify({ events });
    expect(Math.ceil(batch.length / 65536)).toBe(2);
    const c = await callRest(svc, "POST", "/api/v1/ingest/email-events", batch, { key });
    expect([c.status, c.headers.get("ratelimit-remaining")]).toEqual([200, String(perKey - 7)]);
    // gRPC (no declared length: paid as it arrives): a 140,000-byte message, 3 units with its frame header.
    const grpc = await callRpc(svc, "grpc", TRACK_EVENT, new Uint8Array(140_000).fill(0xff), { key });
    expect(grpc.code).toBe("invalid_argument");
    expect(grpc.headers.get("ratelimit-remaining")).toBe(String(perKey - 10));
    // The 30 left pay for seven more such bodies (4 each); the eighth's admission is paid, its
    // body is not: refused before it is read, as is the next request.
    const codes: number[] = [];
    for (let i = 0; i < 9; i++) codes.push((await callRest(svc, "POST", "/api/v1/track/purchase", refused, { key })).status);
    expect(codes).toEqual([400, 400, 400, 400, 400, 400, 400, 429, 429]);
  });

  test("requests sent at once read no more bodies than the bucket pays for", async () => {
    const { key } = await svc.newAccount();
    // 20 bodies of 4 units at once: the bucket pays for 10 at most (all read before this change,
    // their charge taken after the fact).
    const answers = await Promise.all(Array.from({ length: 20 }, () => callRest(svc, "POST", "/api/v1/track/purchase", refused, { key })));
    const read = answers.filter((r) => r.status === 400).length;
    expect(answers.every((r) => r.status === 400 || r.status === 429)).toBe(true);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThanOrEqual(perKey / 4);
    // The bucket is spent, and stays spent: the debt is not forgiven while the window lasts.
    expect((await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key })).status).toBe(429);
  });

  test("a streamed body with no declared length is cut at the first unit it cannot pay for, with a 429", async () => {
    const { key } = await svc.newAccount();
    for (let i = 0; i < 30; i++) expect((await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key })).status).toBe(200);
    // 10 left: a chunked body of 3 MiB has its admission and 9 more units paid for, and is
    // refused at the 11th (640 KiB), before the 1 MiB size limit would refuse it.
    const answer = await postChunked(svc, "/api/v1/track/purchase", key, 32 * 1024, 96);
    expect(answer).toBe("HTTP/1.1 429 Too Many Requests");
  });

  test("a compressed message is paid for by its decoded size", async () => {
    const { key } = await svc.newAccount();
    const ff = new Uint8Array(1024 * 1024 - 10).fill(0xff);
    const zipped = gzipSync(ff);
    expect(zipped.length).toBeLessThan(65536);
    const c = await callRpc(svc, "connect-binary", TRACK_EVENT, zipped, { key, headers: { "content-encoding": "gzip" } });
    expect([c.code, c.headers.get("ratelimit-remaining")]).toEqual(["invalid_argument", String(perKey - 16)]);
    const g = await callRpc(svc, "grpc", TRACK_EVENT, frame(zipped, 1), { key, raw: true, headers: { "grpc-encoding": "gzip" } });
    expect([g.code, g.headers.get("ratelimit-remaining")]).toEqual(["invalid_argument", String(perKey - 32)]);
    // 8 left: the next such message is refused once decoded, before it is checked.
    const r = await callRpc(svc, "connect-binary", TRACK_EVENT, zipped, { key, headers: { "content-encoding": "gzip" } });
    expect(r.code).toBe("resource_exhausted");
  });

  test("a gzip bomb inflates no more than its bucket pays for, then is refused", async () => {
    // 1 MiB of zeros compressed to ~1 KB: decoded, 16 units. Each key keeps 4 requests' worth:
    // the admission's unit and 3 more, 256 KiB of output; the 5th unit is refused unproduced.
    const zeros = gzipSync(new Uint8Array(1024 * 1024 - 10));
    expect(zeros.length).toBeLessThan(2048);
    for (const protocol of ["connect-binary", "grpc"] as const) {
      const { key } = await svc.newAccount();
      for (let i = 0; i < perKey - 4; i++) expect((await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key })).status).toBe(200);
      const before = inflated.bytes;
      const answer =
        protocol === "grpc"
          ? await callRpc(svc, "grpc", TRACK_EVENT, frame(zeros, 1), { key, raw: true, headers: { "grpc-encoding": "gzip" } })
          : await callRpc(svc, "connect-binary", TRACK_EVENT, zeros, { key, headers: { "content-encoding": "gzip" } });
      expect(answer.code, protocol).toBe("resource_exhausted");
      const out = inflated.bytes - before;
      expect(out, protocol).toBeGreaterThan(0);
      expect(out, protocol).toBeLessThanOrEqual(4 * 65536);
    }
  });

  test("a message inflated in many units, gzip and brotli, leaves no listener behind (no process warning)", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      for (const [encoding, compress] of [["gzip", gzipSync], ["br", brotliCompressSync]] as const) {
        const { key } = await svc.newAccount();
        // 1 MiB less a little of zeros: 16 units decoded (paid by a fresh key's bucket), then checked.
        const zeros = compress(new Uint8Array(1024 * 1024 - 10));
        const before = inflated.bytes;
        const answer = await callRpc(svc, "connect-binary", TRACK_EVENT, zeros, { key, headers: { "content-encoding": encoding } });
        expect(answer.code, encoding).toBe("invalid_argument");
        expect(inflated.bytes - before, encoding).toBe(1024 * 1024 - 10);
      }
      await new Promise((r) => setImmediate(r));
      expect(warnings).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  test("a message inflating past the size limit stops one unit past it: gzip and brotli, Connect and gRPC-Web", async () => {
    for (const [encoding, compress] of [["gzip", gzipSync], ["br", brotliCompressSync]] as const) {
      const zeros = compress(new Uint8Array(2 * 1024 * 1024));
      for (const protocol of ["connect-binary", "grpc-web"] as const) {
        const { key } = await svc.newAccount();
        const before = inflated.bytes;
        const answer =
          protocol === "grpc-web"
            ? await callRpc(svc, "grpc-web", TRACK_EVENT, frame(zeros, 1), { key, raw: true, headers: { "grpc-encoding": encoding } })
            : await callRpc(svc, "connect-binary", TRACK_EVENT, zeros, { key, headers: { "content-encoding": encoding } });
        expect([answer.code, answer.message], `${encoding} ${protocol}`).toEqual(["resource_exhausted", expect.stringContaining("at most 1048576 bytes")]);
        const out = inflated.bytes - before;
        expect(out, `${encoding} ${protocol}`).toBeGreaterThan(1024 * 1024);
        expect(out, `${encoding} ${protocol}`).toBeLessThanOrEqual(1024 * 1024 + 65536);
      }
    }
  });

  test("a body cut short by its client is paid for as it arrived", async () => {
    const { key } = await svc.newAccount();
    // About 1 MiB sent of a declared 1 MiB, then the connection is dropped: paid in full up front.
    await new Promise<void>((resolve) => {
      const s = connect(svc.port, "127.0.0.1", () => {
        s.write(`POST /api/v1/track/purchase HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\ncontent-length: 1048576\r\n\r\n`);
        s.write(Buffer.alloc(1048575, 0x61), () => setTimeout(() => (s.destroy(), resolve()), 200));
      });
      s.on("error", () => undefined);
    });
    const b = await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key });
    expect([b.status, b.headers.get("ratelimit-remaining")]).toEqual([200, String(perKey - 17)]);
  });

  test("a stream of request messages is paid for as it arrives (reflection, without a key)", async () => {
    const other = await startService({ limits: { rate: { perKey: { requests: perKey, seconds: 3600 }, perAddress: { requests: 40, seconds: 3600 } } } });
    try {
      // Each request: host (field 1) of 200,000 bytes and list_services (field 7); five of them, ~1 MB: 16 units.
      const host = Buffer.alloc(200_000, 0x61);
      const one = Buffer.concat([Buffer.from([0x0a, 0xc0, 0x9a, 0x0c]), host, Buffer.from([0x3a, 0x00])]);
      const stream = Buffer.concat(Array.from({ length: 5 }, () => frame(one)));
      const r = await grpc(other, "grpc.reflection.v1.ServerReflection/ServerReflectionInfo", stream);
      expect(r.code).toBe("ok");
      const after = await callRpc(other, "connect-json", "grpc.health.v1.Health/Check", "{}");
      expect(Number(after.headers.get("ratelimit-remaining"))).toBeLessThanOrEqual(40 - 16 - 1);
    } finally {
      await other.close();
    }
  });

  test("a 429's Retry-After waits for the whole body's price: sent again after it, the body is read", async () => {
    // 8 requests refilled over 2 s (one per 250 ms); a body of 8 units takes the whole bucket.
    await withKeyBucket(8, 2, async (small, key) => {
      const body = `{"orderId":"o-1","contactEmail":"u@example.com","amount":1,"currency":"USD","x":"${"a".repeat(480_000)}"}`;
      expect(Math.ceil(body.length / 65536)).toBe(8);
      const send = () => callRest(small, "POST", "/api/v1/track/purchase", body, { key });
      expect((await send()).status).toBe(400);
      const over = await send();
      expect(over.status).toBe(429);
      // Sent again it costs 8, not the 1 it was refused at: 2 s, where one request's worth is 250 ms.
      const retry = Number(over.headers.get("retry-after"));
      expect(retry).toBe(2);
      await new Promise((r) => setTimeout(r, retry * 1000));
      expect((await send()).status).toBe(400);
    });
  });

  test("a body larger than a whole bucket costs the whole bucket: read, not a 429 on every retry", async () => {
    await withKeyBucket(10, 1, async (small, key) => {
      // ~850 KB of sends (7,000 events, over the 1,000 a batch may hold): 13 units, more than the bucket of 10.
      const events = Array.from({ length: 7000 }, (_, i) => ({ type: "send", contact_email: `u${i}@example.com`, timestamp: "2026-04-01T09:00:00Z", campaign_id: "camp_a" }));
      const big = JSON.stringify({ events });
      expect(Math.ceil(big.length / 65536)).toBeGreaterThan(10);
      for (let attempt = 0; attempt < 2; attempt++) {
        // Read and refused for what it holds, each time the bucket is full (it refills every second).
        if (attempt > 0) await new Promise((r) => setTimeout(r, 1100));
        const r = await callRest(small, "POST", "/api/v1/ingest/email-events", big, { key });
        expect([r.status, r.message]).toEqual([400, expect.stringContaining("events")]);
        // The whole bucket taken (a request's worth may have come back meanwhile: one per 100 ms).
        expect(Number(r.headers.get("ratelimit-remaining"))).toBeLessThanOrEqual(1);
      }
    });
  });

  test("without a key, a body is paid for from the address's bucket", async () => {
    // grpc.health.v1.Health/Check takes no key: a 1 MiB body costs the address 16.
    const big = new Uint8Array(1024 * 1024 - 10).fill(0xff);
    const h = await callRpc(svc, "connect-binary", "grpc.health.v1.Health/Check", big);
    expect(h.code).toBe("invalid_argument");
    expect(h.headers.get("ratelimit-remaining")).toBe(String(40 - 16));
  });
});

describe("per client address, without a valid key", () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({ limits: { rate: { perKey: DEFAULT_LIMITS.rate.perKey, perAddress: { requests: 5, seconds: 600 } } } });
  });
  afterAll(async () => {
    await svc?.close();
  });

  test("key guessing: 401s until the address's bucket is empty, then 429; a key in use still works", async () => {
    const { key } = await svc.newAccount();
    expect((await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key })).status).toBe(200);
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key: "msk_" + "Gu3s".repeat(8) })).status);
    expect(codes).toEqual([401, 401, 401, 401, 401, 429]);
    const grpc = await callRpc(svc, "grpc", GET_OVERVIEW, new Uint8Array(0));
    expect(grpc.code).toBe("resource_exhausted");
    expect((await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key })).status).toBe(200);
    // Health checks have a bucket of their own (5 here too): key guessing from the address a
    // load balancer probes from does not make the instance look down; a flood of them is limited.
    const health: number[] = [];
    for (let i = 0; i < 6; i++) health.push((await fetch(`${svc.url}/healthz`)).status);
    expect(health).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

describe("a flood of made-up keys", () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({ limits: { rate: { perKey: DEFAULT_LIMITS.rate.perKey, perAddress: { requests: 5, seconds: 600 } } } });
  });
  afterAll(async () => {
    await svc?.close();
  });

  test("costs the database at most the address's budget of lookups; a refused key is not looked up again", async () => {
    const { key } = await svc.newAccount();
    expect((await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key })).status).toBe(200);
    const lookups = vi.spyOn(svc.store.keys, "verify");
    // One made-up key three times: looked up once, then refused from memory (each still paid for).
    const same = "msk_" + "S4me".repeat(8);
    for (let i = 0; i < 3; i++) expect((await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key: same })).status).toBe(401);
    expect(lookups).toHaveBeenCalledTimes(1);
    // Fresh random keys: two more lookups use up the budget of 5, then 429 without a lookup.
    const codes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const guess = `msk_${randomBytes(24).toString("base64url")}`;
      codes.push((await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key: guess })).status);
    }
    expect(codes).toEqual([401, 401, ...Array(18).fill(429)]);
    expect(lookups).toHaveBeenCalledTimes(3);
    // A brand-new key from this address waits for the bucket too (its lookup would be paid from
    // it), over every protocol; it says when to come back.
    const fresh = await svc.createKey("acct_fresh");
    const r = await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key: fresh });
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await callRpc(svc, "grpc", GET_OVERVIEW, new Uint8Array(0), { key: fresh })).code).toBe("resource_exhausted");
    expect(lookups).toHaveBeenCalledTimes(3);
    // A key found live before the flood is still looked up (so a revocation applies at once) and served.
    expect((await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key })).status).toBe(200);
    expect(lookups).toHaveBeenCalledTimes(4);
    // Revoked here, it is refused at once: found revoked, it is charged like any key that is not
    // live, to this address's spent bucket, so the refusal is a 429 here rather than a 401.
    await svc.store.keys.revoke(key, new Date());
    expect((await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key })).status).toBe(429);
    expect(lookups).toHaveBeenCalledTimes(5);
  });
});
