// A client this project did not write: `buf curl`, with the schema from server reflection.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startService, type TestService } from "../helpers/service.js";

const run = promisify(execFile);
const buf = "node_modules/.bin/buf";

let svc: TestService;
let key: string;
beforeAll(async () => {
  svc = await startService({ now: new Date("2026-04-06T12:00:00Z") });
  ({ key } = await svc.newAccount());
});
afterAll(() => svc.close());

test("buf curl lists every service method through grpc.reflection.v1", async () => {
  const { stdout } = await run(buf, ["curl", "--http2-prior-knowledge", "--list-methods", svc.url]);
  expect(stdout.trim().split("\n")).toEqual([
    "grpc.health.v1.Health/Check",
    "grpc.health.v1.Health/List",
    "grpc.health.v1.Health/Watch",
    "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "misar.analytics.v1.AnalyticsService/GetCampaignLinks",
    "misar.analytics.v1.AnalyticsService/GetCampaignMetrics",
    "misar.analytics.v1.AnalyticsService/GetOverview",
    "misar.analytics.v1.AnalyticsService/GetTimeSeries",
    "misar.analytics.v1.AnalyticsService/ListCampaigns",
    "misar.analytics.v1.IngestService/RecordEmailEvents",
    "misar.analytics.v1.IngestService/UpsertCampaign",
    "misar.analytics.v1.TrackService/TrackEvent",
    "misar.analytics.v1.TrackService/TrackPurchase",
  ]);
});

for (const protocol of ["grpc", "connect", "grpcweb"]) {
  test(`buf curl --protocol ${protocol} writes a campaign and reads its metrics`, async () => {
    const call = (method: string, body: unknown) =>
      run(buf, [
        "curl", "--http2-prior-knowledge", "--protocol", protocol,
        "-H", `Authorization: Bearer ${key}`, "-d", JSON.stringify(body),
        `${svc.url}/misar.analytics.v1.${method}`,
      ]).then((r) => JSON.parse(r.stdout) as Record<string, unknown>);
    const id = `camp_${protocol}`;
    const up = await call("IngestService/UpsertCampaign", { id, name: "Buf", status: "CAMPAIGN_STATUS_SENT", sentAt: "2026-04-01T09:00:00Z" });
    expect(up).toEqual({ campaign: { id, name: "Buf", status: "CAMPAIGN_STATUS_SENT", sentAt: "2026-04-01T09:00:00Z" } });
    const rec = await call("IngestService/RecordEmailEvents", {
      events: [{ id: `${id}-1`, type: "EMAIL_EVENT_TYPE_SEND", contactEmail: "a@x.test", timestamp: "2026-04-01T09:00:00Z", campaignId: id }],
    });
    expect(rec).toEqual({ accepted: 1 });
    const metrics = await call("AnalyticsService/GetCampaignMetrics", { id });
    expect(metrics).toMatchObject({ metrics: { totalRecipients: "1", totalSent: "1" } });
  });
}

test("buf curl without a key gets unauthenticated", async () => {
  const err = await run(buf, [
    "curl", "--http2-prior-knowledge", "--protocol", "grpc", "-d", "{}",
    `${svc.url}/misar.analytics.v1.AnalyticsService/GetOverview`,
  ]).catch((e: { stderr: string }) => e);
  expect((err as { stderr: string }).stderr).toContain("unauthenticated");
});
