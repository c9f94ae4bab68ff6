// The embedded FerretDB killed under a running service: calls fail fast with `unavailable`
// (REST 503 + Retry-After, gRPC 14) while it is down, the service starts it again on the same
// data, and serves again without a restart of its own.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AnalyticsService } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import { startServiceProcess, type ServiceProcess } from "../helpers/process.js";

const dir = mkdtempSync(join(tmpdir(), "misar-sup-"));
let svc: ServiceProcess | undefined;
afterAll(async () => {
  await svc?.kill9();
  rmSync(dir, { recursive: true, force: true });
});

test("kill -9 of the FerretDB child: 503 within a second while down, then the same data again", async () => {
  svc = await startServiceProcess({ DATA_DIR: join(dir, "ferretdb"), MONGODB_URI: "" });
  // Printed on the first start of a fresh embedded database, just after it listens.
  const key = await svc.printedKey();
  const call = async (method: string, path: string, body?: unknown) => {
    const started = performance.now();
    const res = await fetch(svc!.url + path, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // `any`: a success or an error body, whichever the assertions below look into.
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as any, ms: performance.now() - started };
  };
  const campaign = { name: "Before the crash", status: "sent", sent_at: "2026-04-01T09:00:00Z", total_recipients: 10 };
  expect((await call("PUT", "/api/v1/campaigns/camp_sup", campaign)).status).toBe(200);

  const started = await svc.waitFor((r) => r.msg === "embedded FerretDB started");
  process.kill(started.pid as number, "SIGKILL");
  await svc.waitFor((r) => r.msg === "embedded database exited; restarting it", 5000);

  // While it is down (or just back), every answer is fast and either right or `unavailable`.
  const grpc = createClient(AnalyticsService, createGrpcTransport({ baseUrl: svc.url }));
  let sawDown = false;
  for (let i = 0; i < 50; i++) {
    const r = await call("GET", "/api/v1/analytics/campaigns/camp_sup");
    expect(r.ms).toBeLessThan(1000);
    if (r.status === 503) {
      sawDown = true;
      expect(r.retryAfter).toBe("1");
      expect(r.body.error.code).toBe("unavailable");
      const err = await grpc.getCampaignMetrics({ id: "camp_sup" }, { headers: { authorization: `Bearer ${key}` } }).catch((e: unknown) => e);
      if (err instanceof ConnectError) expect(err.code).toBe(Code.Unavailable);
    } else {
      expect(r.status).toBe(200);
      expect(r.body.campaign.name).toBe("Before the crash");
      break;
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  expect(sawDown).toBe(true);
  await svc.waitFor((r) => r.msg === "embedded database restarted", 20_000);
  const back = await call("GET", "/api/v1/analytics/campaigns/camp_sup");
  expect(back.status).toBe(200);
  expect(back.body.campaign.name).toBe("Before the crash");
  expect((await call("PUT", "/api/v1/campaigns/camp_sup2", campaign)).status).toBe(200);
  const health = await fetch(svc.url + "/healthz");
  expect(health.status).toBe(200);
}, 120_000);
