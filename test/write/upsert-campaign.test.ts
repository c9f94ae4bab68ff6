import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { CampaignStatus } from "../../gen/es/misar/analytics/v1/campaign_pb.js";
import { IngestService } from "../../gen/es/misar/analytics/v1/ingest_service_pb.js";
import { CampaignStatus as TpCampaignStatus } from "../../gen/ts-proto/misar/analytics/v1/campaign.js";
import {
  bearer,
  client,
  connectTransport,
  grpcCall,
  grpcJsClients,
  grpcMetadata,
  rest,
  startService,
  type TestService,
} from "../helpers/service.js";
import { campaignMetrics, emailEvent } from "./support.js";

const NOW = new Date("2026-04-10T00:00:00Z");

let svc: TestService;
let grpc: ReturnType<typeof grpcJsClients>;
beforeAll(async () => {
  svc = await startService({ now: NOW });
  grpc = grpcJsClients(svc);
});
afterAll(async () => {
  grpc?.ingest.close();
  await svc?.close();
});

const put = (key: string, id: string, body: unknown) => rest(svc, "PUT", `/api/v1/campaigns/${id}`, { key, body });

describe("UpsertCampaign over REST", () => {
  test("answers {success, campaign} in the spec's shape and GET campaign shows the same", async () => {
    const { key } = await svc.newAccount();
    const r = await put(key, "camp_abc123", { name: "April Newsletter", status: "sent", sent_at: "2026-04-01T09:00:00Z", total_recipients: 5200 });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(["success", "campaign"]);
    const campaign = { id: "camp_abc123", name: "April Newsletter", status: "sent", sent_at: "2026-04-01T09:00:00Z", total_recipients: 5200 };
    expect(r.body).toEqual({ success: true, campaign });
    expect(Object.keys(r.body.campaign).slice(0, 4)).toEqual(["id", "name", "status", "sent_at"]);

    const m = await campaignMetrics(svc, key, "camp_abc123");
    expect(m.status).toBe(200);
    expect(m.body.campaign).toEqual(campaign);
    expect(m.body.metrics).toMatchObject({ total_recipients: 5200, total_sent: 0, open_rate: 0 });
    expect(m.body.timeline).toEqual([]);
  });

  test("every status word is accepted; a second PUT replaces all values (unset ones become null)", async () => {
    const { key } = await svc.newAccount();
    for (const status of ["draft", "scheduled", "sending", "sent", "cancelled"]) {
      const r = await put(key, "camp-1_X", { name: `N ${status}`, status, sent_at: "2026-04-02T10:00:00Z", total_recipients: 10 });
      expect(r.status, status).toBe(200);
      expect(r.body.campaign.status).toBe(status);
    }
    const r = await put(key, "camp-1_X", { name: "  Renamed  ", status: "draft" });
    expect(r.body).toEqual({
      success: true,
      campaign: { id: "camp-1_X", name: "Renamed", status: "draft", sent_at: null, total_recipients: null },
    });
    const m = await campaignMetrics(svc, key, "camp-1_X");
    expect(m.body.campaign).toEqual(r.body.campaign);
    expect(m.body.metrics.total_recipients).toBe(0);
  });

  test("registering a campaign whose events arrived first keeps the first send as sent_at", async () => {
    const { key } = await svc.newAccount();
    const ev = await rest(svc, "POST", "/api/v1/ingest/email-events", {
      key,
      body: {
        events: [
          emailEvent({ campaign_id: "camp_early", timestamp: "2026-04-03T07:45:30Z" }),
          emailEvent({ campaign_id: "camp_early", contact_email: "z@example.com", timestamp: "2026-04-03T08:00:00Z" }),
        ],
      },
    });
    expect(ev.body.accepted).toBe(2);
    expect((await campaignMetrics(svc, key, "camp_early")).body.campaign).toEqual({
      id: "camp_early",
      name: "camp_early",
      status: "unknown",
      sent_at: "2026-04-03T07:45:30Z",
      total_recipients: null,
    });
    const r = await put(key, "camp_early", { name: "Early bird", status: "sending", total_recipients: 3 });
    expect(r.body.campaign).toEqual({ id: "camp_early", name: "Early bird", status: "sending", sent_at: "2026-04-03T07:45:30Z", total_recipients: 3 });
    const m = await campaignMetrics(svc, key, "camp_early");
    expect(m.body.campaign).toEqual(r.body.campaign);
    expect(m.body.metrics).toMatchObject({ total_recipients: 3, total_sent: 2 });
  });

  test("sent_at is answered with second precision; a body id equal to the URL's is accepted", async () => {
    const { key } = await svc.newAccount();
    const r = await put(key, "camp_ms", { id: "camp_ms", name: "Ms", status: "scheduled", sent_at: "2026-05-01T09:00:00.750Z" });
    expect(r.status).toBe(200);
    expect(r.body.campaign.sent_at).toBe("2026-05-01T09:00:00Z");
  });
});

describe.each([
  { name: "Connect JSON", binary: false },
  { name: "Connect binary", binary: true },
])("UpsertCampaign over $name", ({ binary }) => {
  test("answers the campaign and GET campaign shows it", async () => {
    const { key } = await svc.newAccount();
    const ingest = client(IngestService, connectTransport(svc, { binary }));
    const res = await ingest.upsertCampaign(
      { id: "camp_conn", name: "Connect Launch", status: CampaignStatus.SCHEDULED, sentAt: timestampFromDate(new Date("2026-04-11T06:00:00Z")), totalRecipients: 12n },
      bearer(key),
    );
    const c = res.campaign!;
    expect(c.id).toBe("camp_conn");
    expect(c.name).toBe("Connect Launch");
    expect(c.status).toBe(CampaignStatus.SCHEDULED);
    expect(c.sentAt?.seconds).toBe(BigInt(Date.parse("2026-04-11T06:00:00Z") / 1000));
    expect(c.totalRecipients).toBe(12n);
    const m = await campaignMetrics(svc, key, "camp_conn");
    expect(m.body.campaign).toEqual({ id: "camp_conn", name: "Connect Launch", status: "scheduled", sent_at: "2026-04-11T06:00:00Z", total_recipients: 12 });

    // Without sent_at and total_recipients both read back unset.
    const res2 = await ingest.upsertCampaign({ id: "camp_conn", name: "Again", status: CampaignStatus.CANCELLED }, bearer(key));
    expect(res2.campaign?.sentAt).toBeUndefined();
    expect(res2.campaign?.totalRecipients).toBeUndefined();
    expect(res2.campaign?.status).toBe(CampaignStatus.CANCELLED);
  });
});

describe("UpsertCampaign over gRPC (grpc-js, ts-proto stubs)", () => {
  test("answers the campaign and GET campaign shows it", async () => {
    const { key } = await svc.newAccount();
    const res = await grpcCall(
      grpc.ingest.upsertCampaign,
      grpc.ingest,
      { id: "camp_grpc", name: "gRPC Promo", status: TpCampaignStatus.CAMPAIGN_STATUS_SENT, sentAt: new Date("2026-04-04T12:00:00Z"), totalRecipients: 0 },
      grpcMetadata(key),
    );
    expect(res).toEqual({
      campaign: {
        id: "camp_grpc",
        name: "gRPC Promo",
        status: TpCampaignStatus.CAMPAIGN_STATUS_SENT,
        sentAt: new Date("2026-04-04T12:00:00Z"),
        totalRecipients: 0,
      },
    });
    const m = await campaignMetrics(svc, key, "camp_grpc");
    expect(m.body.campaign).toEqual({ id: "camp_grpc", name: "gRPC Promo", status: "sent", sent_at: "2026-04-04T12:00:00Z", total_recipients: 0 });
    expect(m.body.metrics.total_recipients).toBe(0);
  });
});
