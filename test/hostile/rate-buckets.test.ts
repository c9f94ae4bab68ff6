// The token buckets themselves (src/server/rate-limit.ts), on a fake clock: refill, retry delays,
// forgetting refilled callers, the cap, and which addresses share a bucket.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { RateLimits, addressCaller } from "../../src/server/rate-limit.js";

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["performance", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** 10 requests, refilled over 10 s: one a second. */
const limits = () => new RateLimits({ perKey: { requests: 10, seconds: 10 }, perAddress: { requests: 10, seconds: 10 } });

describe("a token bucket", () => {
  test("refills continuously, one request per tenth of its refill time", async () => {
    const l = limits();
    for (let i = 0; i < 10; i++) expect((await l.take("key", "k"))!.allowed).toBe(true);
    expect((await l.take("key", "k"))!.allowed).toBe(false);
    vi.advanceTimersByTime(3000);
    const after = await l.take("key", "k");
    expect([after!.allowed, after!.remaining]).toEqual([true, 2]);
  });

  test("a refusal's retry delay is when the bucket holds what the request costs again, and it does then", async () => {
    const l = limits();
    expect((await l.take("key", "k", 10))!.allowed).toBe(true);
    // A body of 8 units refused: sent again it costs 8, not just the unit it was refused at.
    const refused = (await l.take("key", "k", 1, 8))!;
    expect([refused.allowed, refused.retrySeconds, refused.resetSeconds]).toEqual([false, 8, 10]);
    vi.advanceTimersByTime(refused.retrySeconds * 1000);
    expect((await l.take("key", "k", 8))!.allowed).toBe(true);
  });

  test("a refund gives a request back, never past a full bucket", async () => {
    const l = limits();
    await l.take("address", "192.0.2.1", 3);
    await l.refund("address", "192.0.2.1");
    expect((await l.take("address", "192.0.2.1", 0))!.remaining).toBe(8);
    for (let i = 0; i < 5; i++) await l.refund("address", "192.0.2.1");
    expect((await l.take("address", "192.0.2.1", 0))!.remaining).toBe(10);
  });
});

describe("memory", () => {
  test("callers whose buckets have refilled are forgotten, a few per request; a drained one is kept", async () => {
    const l = limits();
    for (let i = 0; i < 100; i++) await l.take("address", `198.51.100.${i}`);
    expect(l.remembered("address")).toBe(100);
    vi.advanceTimersByTime(10_000);
    await l.take("address", "203.0.113.9", 10);
    // Two looked at per request from the least recently used end: the 100 full ones go within
    // 50 requests; the drained one is not full, so it stays.
    for (let i = 0; i < 60; i++) await l.take("address", "203.0.113.7", 0);
    expect(l.remembered("address")).toBe(2);
    expect((await l.take("address", "203.0.113.9", 0))!.remaining).toBe(0);
  });

  test("at most 50,000 callers are remembered; past that the least recently seen is forgotten", async () => {
    const l = limits();
    await l.take("address", "first", 10);
    for (let i = 0; i < 50_000; i++) await l.take("address", `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    expect(l.remembered("address")).toBe(50_000);
    // "first" was forgotten: its bucket is full again.
    expect((await l.take("address", "first", 0))!.remaining).toBe(10);
  });
});

describe("addresses sharing a bucket", () => {
  test("IPv6 by /64, IPv4-mapped IPv6 as its IPv4 address, IPv4 as it is", () => {
    expect(addressCaller("2001:db8:1:2::1")).toBe(addressCaller("2001:db8:1:2:ffff:eeee:dddd:cccc"));
    expect(addressCaller("2001:db8:1:2::1")).not.toBe(addressCaller("2001:db8:1:3::1"));
    expect(addressCaller("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(addressCaller("192.0.2.7")).toBe("192.0.2.7");
    expect(addressCaller("unknown")).toBe("unknown");
  });

  test("a flood from one IPv6 /64 draws on one bucket", async () => {
    const l = limits();
    for (let i = 0; i < 10; i++) expect((await l.take("address", `2001:db8::${i.toString(16)}`))!.allowed).toBe(true);
    expect((await l.take("address", "2001:db8::ffff"))!.allowed).toBe(false);
    expect(l.remembered("address")).toBe(1);
  });
});
