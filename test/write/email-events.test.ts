import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { BounceType, EmailEventType, IngestService } from "../../gen/es/misar/analytics/v1/ingest_service_pb.js";
import {
  BounceType as TpBounceType,
  EmailEventType as TpEmailEventType,
} from "../../gen/ts-proto/misar/analytics/v1/ingest_service.js";
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

const ZERO_TOTALS = {
  total_recipients: 0,
  total_sent: 0,
  total_delivered: 0,
  total_opened: 0,
  total_clicked: 0,
  total_bounced: 0,
  total_complained: 0,
  total_unsubscribed: 0,
  open_rate: 0,
  click_rate: 0,
  bounce_rate: 0,
  conversions: 0,
  conversion_rate: 0,
  revenue: [],
  unique_opens: 0,
  unique_clicks: 0,
  human_opens: 0,
  unique_human_opens: 0,
  human_clicks: 0,
  unique_human_clicks: 0,
  human_open_rate: 0,
  human_click_rate: 0,
};

describe("RecordEmailEvents over REST", () => {
  test("accepts a mixed batch and the campaign and overview read it back", async () => {
    const { key } = await svc.newAccount();
    const c = "camp_apr";
    const events = [
      emailEvent({ id: "s1", type: "send", contact_email: "A@Example.com", campaign_id: c, timestamp: "2026-04-01T09:10:00Z" }),
      emailEvent({ id: "s2", type: "send", contact_email: "b@example.com", campaign_id: c, timestamp: "2026-04-01T09:05:00Z" }),
      emailEvent({ id: "s3", type: "send", contact_email: "c@example.com", campaign_id: c, timestamp: "2026-04-01T09:20:00Z" }),
      emailEvent({ id: "s4", type: "send", contact_email: "d@example.com", campaign_id: c, timestamp: "2026-04-01T09:20:00Z" }),
      emailEvent({ id: "d1", type: "delivered", contact_email: "a@example.com", campaign_id: c, timestamp: "2026-04-01T09:11:00Z" }),
      emailEvent({ id: "d2", type: "delivered", contact_email: "b@example.com", campaign_id: c, timestamp: "2026-04-01T09:11:00Z" }),
      emailEvent({ id: "o1", type: "open", contact_email: "a@example.com", campaign_id: c, timestamp: "2026-04-01T09:30:00Z", user_agent: "Mail/1.0" }),
      emailEvent({ id: "o2", type: "open", contact_email: "a@example.com", campaign_id: c, timestamp: "2026-04-01T11:30:00Z" }),
      emailEvent({ id: "k1", type: "click", contact_email: "a@example.com", campaign_id: c, timestamp: "2026-04-01T11:31:00Z", url: "https://x.example/?a=1&b=$x" }),
      emailEvent({ id: "b1", type: "bounce", bounce_type: "hard", contact_email: "c@example.com", campaign_id: c, timestamp: "2026-04-01T09:21:00Z" }),
      emailEvent({ id: "b2", type: "bounce", bounce_type: "soft", contact_email: "d@example.com", campaign_id: c, timestamp: "2026-04-01T09:21:00Z" }),
      emailEvent({ id: "x1", type: "complaint", contact_email: "b@example.com", campaign_id: c, timestamp: "2026-04-01T12:00:00Z" }),
      emailEvent({ id: "u1", type: "unsubscribe", contact_email: "b@example.com", campaign_id: c, timestamp: "2026-04-01T12:01:00Z" }),
      // Transactional mail: counted in the overview, belongs to no campaign.
      emailEvent({ type: "send", contact_email: "t@example.com", campaign_id: "", timestamp: "2026-04-02T00:00:00Z" }),
      emailEvent({ type: "send", contact_email: "t@example.com", timestamp: "2026-04-02T00:00:01Z", campaign_id: null }),
    ];
    const r = await rest(svc, "POST", "/api/v1/ingest/email-events", { key, body: { events } });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(["success", "accepted", "duplicates"]);
    expect(r.body).toEqual({ success: true, accepted: 15, duplicates: 0 });

    const m = await campaignMetrics(svc, key, c);
    expect(m.status).toBe(200);
    expect(m.body.campaign).toEqual({ id: c, name: c, status: "unknown", sent_at: "2026-04-01T09:05:00Z", total_recipients: null });
    expect(m.body.metrics).toEqual({
      ...ZERO_TOTALS,
      total_recipients: 4,
      total_sent: 4,
      total_delivered: 2,
      total_opened: 2,
      total_clicked: 1,
      total_bounced: 2,
      total_complained: 1,
      total_unsubscribed: 1,
      open_rate: 0.5,
      click_rate: 0.25,
      bounce_rate: 0.5,
      unique_opens: 1,
      unique_clicks: 1,
      human_opens: 2,
      unique_human_opens: 1,
      human_clicks: 1,
      unique_human_clicks: 1,
      human_open_rate: 0.5,
      human_click_rate: 0.25,
    });
    expect(m.body.timeline).toEqual([
      { hour: "2026-04-01T09:00:00Z", opens: 1, clicks: 0 },
      { hour: "2026-04-01T10:00:00Z", opens: 0, clicks: 0 },
      { hour: "2026-04-01T11:00:00Z", opens: 1, clicks: 1 },
    ]);

    const o = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-04-01&to=2026-04-02", { key });
    expect(o.status).toBe(200);
    expect(o.body.metrics).toMatchObject({
      sends: 6,
      delivered: 2,
      opens: 2,
      unique_opens: 1,
      clicks: 1,
      unique_clicks: 1,
      bounces: 2,
      hard_bounces: 1,
      soft_bounces: 1,
      complaints: 1,
      unsubscribes: 1,
    });
  });

  test("contact emails are stored lower-cased and the optional fields are kept", async () => {
    const { account, key } = await svc.newAccount();
    const r = await rest(svc, "POST", "/api/v1/ingest/email-events", {
      key,
      body: {
        events: [
          emailEvent({ id: "evt-1", type: "click", contact_email: "MiXeD@Example.COM", url: "https://a.example/p", user_agent: "UA/2" }),
        ],
      },
    });
    expect(r.body).toEqual({ success: true, accepted: 1, duplicates: 0 });
    const docs = await svc.store.db.collection("email_events").find({ a: account }).toArray();
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ c: "camp_a", e: "mixed@example.com", k: "click", url: "https://a.example/p", ua: "UA/2", ts: new Date("2026-04-01T09:00:00Z") });
  });

  test("a 1,000-event batch (the maximum) is accepted whole", async () => {
    const { key } = await svc.newAccount();
    const events = Array.from({ length: 1000 }, (_, i) =>
      emailEvent({ type: "send", contact_email: `u${i}@example.com`, campaign_id: "camp_big", timestamp: "2026-04-03T00:00:00Z" }),
    );
    const r = await rest(svc, "POST", "/api/v1/ingest/email-events", { key, body: { events } });
    expect(r.body).toEqual({ success: true, accepted: 1000, duplicates: 0 });
    const m = await campaignMetrics(svc, key, "camp_big");
    expect(m.body.metrics).toMatchObject({ total_sent: 1000, total_recipients: 1000 });
  });
});

describe.each([
  { name: "Connect JSON", binary: false },
  { name: "Connect binary", binary: true },
])("RecordEmailEvents over $name", ({ binary }) => {
  test("answers accepted/duplicates and the campaign counts the events", async () => {
    const { key } = await svc.newAccount();
    const ingest = client(IngestService, connectTransport(svc, { binary }));
    const at = (iso: string) => timestampFromDate(new Date(iso));
    const res = await ingest.recordEmailEvents(
      {
        events: [
          { id: "p1", type: EmailEventType.SEND, contactEmail: "x@example.com", campaignId: "camp_cx", timestamp: at("2026-04-05T10:00:00Z") },
          { id: "p2", type: EmailEventType.OPEN, contactEmail: "x@example.com", campaignId: "camp_cx", timestamp: at("2026-04-05T10:10:00Z") },
          {
            id: "p3",
            type: EmailEventType.BOUNCE,
            bounceType: BounceType.SOFT,
            contactEmail: "y@example.com",
            campaignId: "camp_cx",
            timestamp: at("2026-04-05T10:00:00Z"),
          },
        ],
      },
      bearer(key),
    );
    expect(res.$typeName).toBe("misar.analytics.v1.RecordEmailEventsResponse");
    expect(res.accepted).toBe(3);
    expect(res.duplicates).toBe(0);
    const m = await campaignMetrics(svc, key, "camp_cx");
    expect(m.body.campaign.sent_at).toBe("2026-04-05T10:00:00Z");
    expect(m.body.metrics).toEqual({
      ...ZERO_TOTALS,
      total_recipients: 1,
      total_sent: 1,
      total_opened: 1,
      total_bounced: 1,
      open_rate: 1,
      bounce_rate: 1,
      unique_opens: 1,
      human_opens: 1,
      unique_human_opens: 1,
      human_open_rate: 1,
    });
  });
});

describe("RecordEmailEvents over gRPC (grpc-js, ts-proto stubs)", () => {
  test("answers accepted/duplicates and the campaign counts the events", async () => {
    const { key } = await svc.newAccount();
    const base = { id: "", contactEmail: "g@example.com", campaignId: "camp_g", bounceType: TpBounceType.BOUNCE_TYPE_UNSPECIFIED, url: "", userAgent: "", machine: false };
    const res = await grpcCall(
      grpc.ingest.recordEmailEvents,
      grpc.ingest,
      {
        events: [
          { ...base, id: "g1", type: TpEmailEventType.EMAIL_EVENT_TYPE_SEND, timestamp: new Date("2026-04-06T08:00:00Z") },
          { ...base, id: "g2", type: TpEmailEventType.EMAIL_EVENT_TYPE_DELIVERED, timestamp: new Date("2026-04-06T08:00:01Z") },
          { ...base, id: "g3", type: TpEmailEventType.EMAIL_EVENT_TYPE_CLICK, url: "https://g.example", timestamp: new Date("2026-04-06T09:00:00Z") },
          { ...base, id: "g4", type: TpEmailEventType.EMAIL_EVENT_TYPE_COMPLAINT, timestamp: new Date("2026-04-06T09:01:00Z") },
          { ...base, id: "g5", type: TpEmailEventType.EMAIL_EVENT_TYPE_UNSUBSCRIBE, timestamp: new Date("2026-04-06T09:02:00Z") },
          { ...base, id: "g6", type: TpEmailEventType.EMAIL_EVENT_TYPE_BOUNCE, bounceType: TpBounceType.BOUNCE_TYPE_HARD, timestamp: new Date("2026-04-06T08:00:02Z") },
        ],
      },
      grpcMetadata(key),
    );
    expect(res).toEqual({ accepted: 6, duplicates: 0 });
    const m = await campaignMetrics(svc, key, "camp_g");
    expect(m.body.metrics).toEqual({
      ...ZERO_TOTALS,
      total_recipients: 1,
      total_sent: 1,
      total_delivered: 1,
      total_clicked: 1,
      total_bounced: 1,
      total_complained: 1,
      total_unsubscribed: 1,
      click_rate: 1,
      bounce_rate: 1,
      unique_clicks: 1,
      human_clicks: 1,
      unique_human_clicks: 1,
      human_click_rate: 1,
    });
    expect(m.body.timeline).toEqual([
      { hour: "2026-04-06T08:00:00Z", opens: 0, clicks: 0 },
      { hour: "2026-04-06T09:00:00Z", opens: 0, clicks: 1 },
    ]);
  });
});
