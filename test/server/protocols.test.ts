// One port serves gRPC, gRPC-Web and Connect (HTTP/1.1 and h2c), REST, and grpc.health.v1.
import { Code, ConnectError } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/es/grpc/health/v1/health_pb.js";
import { AnalyticsService } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import { bearer, client, connectTransport, grpcTransport, rest, startService, type TestService } from "../helpers/service.js";

let svc: TestService;
let key: string;
beforeAll(async () => {
  svc = await startService({ now: new Date("2026-04-06T12:00:00Z") });
  ({ key } = await svc.newAccount());
});
afterAll(() => svc.close());

const expectedPeriod = { from: "2026-03-07T00:00:00Z", to: "2026-04-06T23:59:59Z" };

describe("every protocol on one port", () => {
  const transports = {
    "Connect JSON over HTTP/1.1": () => connectTransport(svc),
    "Connect binary over h2c": () => connectTransport(svc, { binary: true, http2: true }),
    "gRPC over h2c": () => grpcTransport(svc),
    "gRPC-Web over HTTP/1.1": () => createGrpcWebTransport({ baseUrl: svc.url, httpVersion: "1.1" }),
  };
  for (const [name, make] of Object.entries(transports)) {
    test(`GetOverview over ${name}`, async () => {
      const res = await client(AnalyticsService, make()).getOverview({ period: "30d" }, bearer(key));
      expect(res.period?.from?.seconds).toBe(BigInt(Date.parse(expectedPeriod.from) / 1000));
      expect(res.period?.to?.seconds).toBe(BigInt(Date.parse(expectedPeriod.to) / 1000));
      expect(res.metrics?.sends).toBe(0n);
    });
  }

  test("REST over HTTP/1.1 on the same port", async () => {
    const r = await rest(svc, "GET", "/api/v1/analytics/overview", { key });
    expect(r.status).toBe(200);
    expect(r.body.period).toEqual(expectedPeriod);
  });
});

describe("health", () => {
  test("grpc.health.v1.Health/Check reports SERVING for the server and each service", async () => {
    const health = client(Health, grpcTransport(svc));
    expect((await health.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await health.check({ service: "misar.analytics.v1.IngestService" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    await expect(health.check({ service: "no.such.Service" })).rejects.toMatchObject({ code: Code.NotFound });
  });

  test("GET /healthz is ready while the database answers", async () => {
    expect(await rest(svc, "GET", "/healthz")).toEqual({ status: 200, body: { success: true, status: "ok", repairs_due: 0 } });
  });
});

describe("HTTP edges", () => {
  test("an unknown /api path is a JSON 404", async () => {
    const r = await fetch(`${svc.url}/api/v1/nope`);
    expect(r.status).toBe(404);
    expect((await r.json()) as unknown).toEqual({ success: false, error: { code: "not_found", message: "no route /api/v1/nope" } });
  });

  test("a wrong method on a REST path is 405 with Allow", async () => {
    const r = await fetch(`${svc.url}/api/v1/analytics/overview`, { method: "DELETE", headers: { authorization: `Bearer ${key}` } });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET");
    expect((await r.json()) as unknown).toMatchObject({ success: false, error: { code: "method_not_allowed" } });
  });

  test("every response carries a request id, echoing a sane one", async () => {
    const r = await fetch(`${svc.url}/healthz`, { headers: { "x-request-id": "req-123" } });
    expect(r.headers.get("x-request-id")).toBe("req-123");
    const r2 = await fetch(`${svc.url}/healthz`, { headers: { "x-request-id": "bad id with spaces" } });
    expect(r2.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("Connect errors carry the code over every protocol", async () => {
    const err = await client(AnalyticsService, grpcTransport(svc))
      .getOverview({ period: "1y" }, bearer(key))
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toContain("period");
  });
});
