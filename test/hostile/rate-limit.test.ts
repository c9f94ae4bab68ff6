// Rate limits per API key and per client address, answered as each protocol expects.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEFAULT_LIMITS } from "../../src/server/limits.js";
import { startService, type TestService } from "../helpers/service.js";
import { RPC_PROTOCOLS, callRest, callRpc } from "./wire.js";
import { GET_OVERVIEW } from "./inputs.js";

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
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect(over.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(over.headers.get("ratelimit-reset"))).toBe(retry);
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

describe("per client address, without a valid key", () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({ limits: { rate: { perKey: DEFAULT_LIMITS.rate.perKey, perAddress: { requests: 5, seconds: 60 } } } });
  });
  afterAll(async () => {
    await svc?.close();
  });

  test("key guessing: 401s until the address's bucket is empty, then 429; a valid key still works", async () => {
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key: "msk_" + "Gu3s".repeat(8) })).status);
    expect(codes).toEqual([401, 401, 401, 401, 401, 429]);
    const grpc = await callRpc(svc, "grpc", GET_OVERVIEW, new Uint8Array(0));
    expect(grpc.code).toBe("resource_exhausted");
    const { key } = await svc.newAccount();
    expect((await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { key })).status).toBe(200);
    const health = await fetch(`${svc.url}/healthz`);
    expect(health.status).toBe(429);
  });
});
