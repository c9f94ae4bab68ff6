// Campaign metrics: campaigns known only from events, timeline zero-fill and cap, account
// isolation over REST, Connect and gRPC, and half-up rounding of rates.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { status as grpcStatus } from "@grpc/grpc-js";
import { AnalyticsService } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import type * as tp from "../../gen/ts-proto/misar/analytics/v1/analytics_service.js";
import { bearer, client, connectTransport, grpcCall, grpcJsClients, grpcMetadata, rest, startService, type TestService } from "../helpers/service.js";
import { HOUR, at, chunk, postAll, refCampaign, refOverview, type Ev } from "./lib.js";

let svc: TestService;
let a: { account: string; key: string };
let b: { account: string; key: string };
const evA: Ev[] = [];
let n = 0;
const add = (list: Ev[], type: Ev["type"], campaign: string, contact: string, t: string | number, extra: Partial<Ev> = {}) =>
  list.push({ id: `e${n++}`, type, campaign_id: campaign, contact_email: contact, ms: typeof t === "number" ? t : at(t), ...extra });
const get = (key: string, id: string) => rest(svc, "GET", `/api/v1/analytics/campaigns/${id}`, { key });

beforeAll(async () => {
  svc = await startService({ now: new Date("2026-04-06T12:00:00Z") });
  a = await svc.newAccount();
  b = await svc.newAccount();
  // Known only from its events; the first send has milliseconds.
  add(evA, "send", "evonly", "x1@ex.io", "2026-04-02T10:20:00Z");
  add(evA, "send", "evonly", "x2@ex.io", "2026-04-02T10:15:30.250Z");
  add(evA, "send", "evonly", "x3@ex.io", "2026-04-02T11:00:00Z");
  add(evA, "delivered", "evonly", "x1@ex.io", "2026-04-02T10:21:00Z");
  add(evA, "delivered", "evonly", "x2@ex.io", "2026-04-02T10:16:00Z");
  add(evA, "open", "evonly", "x1@ex.io", "2026-04-02T12:05:00Z");
  add(evA, "click", "evonly", "x1@ex.io", "2026-04-02T12:06:00Z");
  add(evA, "open", "evonly", "x2@ex.io", "2026-04-03T01:59:59.999Z");
  // A timeline longer than 720 hours.
  add(evA, "send", "capped", "y@ex.io", "2026-02-20T00:30:00Z");
  add(evA, "open", "capped", "y@ex.io", "2026-02-20T01:00:00Z");
  add(evA, "open", "capped", "y@ex.io", "2026-03-21T23:59:59Z"); // hour 719: the last entry
  add(evA, "open", "capped", "y@ex.io", "2026-03-25T08:00:00Z"); // hour 800: past the cap
  // Engagement but no send at all.
  add(evA, "open", "nosends", "z@ex.io", "2026-04-01T08:30:00Z");
  // Rates: 1/8, 1/3, 2/3, 1001/2000 = 0.5005 (binary floating point puts it just below the half), 125/2000 = 0.0625, 1/2000 = 0.0005, 1/2001.
  for (let i = 0; i < 8; i++) add(evA, "send", "r8", `r${i}@ex.io`, at("2026-03-20T10:00:00Z") + i * 1000);
  add(evA, "open", "r8", "r0@ex.io", "2026-03-20T10:30:00Z");
  for (let i = 0; i < 3; i++) add(evA, "send", "r3", `r${i}@ex.io`, at("2026-03-21T10:00:00Z") + i * 1000);
  add(evA, "click", "r3", "r0@ex.io", "2026-03-21T10:30:00Z");
  add(evA, "bounce", "r3", "r1@ex.io", "2026-03-21T10:01:00Z", { bounce_type: "hard" });
  add(evA, "bounce", "r3", "r2@ex.io", "2026-03-21T10:01:00Z", { bounce_type: "soft" });
  for (let i = 0; i < 2000; i++) add(evA, "send", "r2000", `m${i}@ex.io`, at("2026-03-01T10:00:00Z") + i * 1000);
  for (let i = 0; i < 1001; i++) add(evA, "open", "r2000", `m${i}@ex.io`, at("2026-03-01T11:00:00Z") + i * 1000);
  for (let i = 0; i < 125; i++) add(evA, "click", "r2000", `m${i}@ex.io`, at("2026-03-01T11:30:00Z") + i * 1000);
  add(evA, "bounce", "r2000", "m1999@ex.io", "2026-03-01T12:00:00Z", { bounce_type: "soft" });
  add(evA, "complaint", "r2000", "m1@ex.io", "2026-03-01T12:00:00Z");
  for (let i = 0; i < 2001; i++) add(evA, "send", "r2001", `m${i}@ex.io`, at("2026-03-02T10:00:00Z") + i * 1000);
  add(evA, "open", "r2001", "m0@ex.io", "2026-03-02T11:00:00Z");
  add(evA, "bounce", "r2001", "m1@ex.io", "2026-03-02T12:00:00Z", { bounce_type: "hard" });
  add(evA, "complaint", "r2001", "m1@ex.io", "2026-03-02T12:00:00Z");
  await postAll(svc, a.key, chunk(evA, 1000));
  const evB: Ev[] = [];
  add(evB, "send", "secret", "s@ex.io", "2026-04-01T10:00:00Z");
  add(evB, "open", "secret", "s@ex.io", "2026-04-01T10:05:00Z");
  await postAll(svc, b.key, [evB]);
});
afterAll(() => svc.close());

describe("a campaign known only from its events", () => {
  test("reads name = id, status unknown, sent_at = first send, total_recipients = sends, zero-filled timeline", async () => {
    const r = await get(a.key, "evonly");
    expect(r.status).toBe(200);
    expect(r.body.campaign).toStrictEqual({ id: "evonly", name: "evonly", status: "unknown", sent_at: "2026-04-02T10:15:30Z", total_recipients: null });
    expect(r.body.metrics).toMatchObject({
      total_recipients: 3, total_sent: 3, total_delivered: 2, total_opened: 2, total_clicked: 1, total_bounced: 0,
      total_complained: 0, total_unsubscribed: 0, open_rate: 0.667, click_rate: 0.333, bounce_rate: 0,
    });
    const tl = r.body.timeline;
    expect(tl.length).toBe(16); // 2026-04-02T10:00 .. 2026-04-03T01:00
    expect(tl[0]).toStrictEqual({ hour: "2026-04-02T10:00:00Z", opens: 0, clicks: 0 });
    expect(tl[2]).toStrictEqual({ hour: "2026-04-02T12:00:00Z", opens: 1, clicks: 1 });
    expect(tl[15]).toStrictEqual({ hour: "2026-04-03T01:00:00Z", opens: 1, clicks: 0 });
    expect(tl.filter((e: { opens: number; clicks: number }) => e.opens + e.clicks > 0).length).toBe(2);
    expect(r.body).toStrictEqual(refCampaign(evA, "evonly"));
  });

  test("registering it later without sent_at keeps the first send and the send count", async () => {
    const put = await rest(svc, "PUT", "/api/v1/campaigns/evonly", { key: a.key, body: { name: "Evo", status: "sending" } });
    expect(put.status).toBe(200);
    expect(put.body.campaign).toMatchObject({ id: "evonly", name: "Evo", status: "sending", sent_at: "2026-04-02T10:15:30Z" });
    const r = await get(a.key, "evonly");
    expect(r.body.campaign).toStrictEqual({ id: "evonly", name: "Evo", status: "sending", sent_at: "2026-04-02T10:15:30Z", total_recipients: null });
    expect(r.body.metrics.total_recipients).toBe(3);
    expect(r.body).toStrictEqual(refCampaign(evA, "evonly", { name: "Evo", status: "sending" }));
  });

  test("without any send: sent_at null, rates 0, timeline from the first engagement hour", async () => {
    const r = await get(a.key, "nosends");
    expect(r.body.campaign).toMatchObject({ status: "unknown", sent_at: null });
    expect(r.body.metrics).toMatchObject({ total_recipients: 0, total_sent: 0, total_opened: 1, open_rate: 0, click_rate: 0, bounce_rate: 0 });
    expect(r.body.timeline).toStrictEqual([{ hour: "2026-04-01T08:00:00Z", opens: 1, clicks: 0 }]);
  });
});

test("the timeline stops at 720 entries", async () => {
  const r = await get(a.key, "capped");
  const tl = r.body.timeline;
  expect(tl.length).toBe(720);
  expect(tl[0]).toStrictEqual({ hour: "2026-02-20T00:00:00Z", opens: 0, clicks: 0 });
  expect(tl[1]).toStrictEqual({ hour: "2026-02-20T01:00:00Z", opens: 1, clicks: 0 });
  expect(tl[719]).toStrictEqual({ hour: "2026-03-21T23:00:00Z", opens: 1, clicks: 0 });
  for (let i = 1; i < tl.length; i++) expect(at(tl[i].hour) - at(tl[i - 1].hour)).toBe(HOUR);
  expect(r.body.metrics.total_opened).toBe(3); // the metrics still count every open
  expect(r.body).toStrictEqual(refCampaign(evA, "capped"));
});

describe("another account's campaign is not found, exactly like an unknown one", () => {
  test("REST 404", async () => {
    expect((await get(b.key, "secret")).status).toBe(200);
    const foreign = await get(a.key, "secret");
    const unknown = await get(a.key, "nosuch");
    expect(foreign).toStrictEqual({ status: 404, body: { success: false, error: { code: "not_found", message: "campaign secret not found" } } });
    expect(unknown).toStrictEqual({ status: 404, body: { success: false, error: { code: "not_found", message: "campaign nosuch not found" } } });
    expect((await get(b.key, "evonly")).status).toBe(404);
  });

  test("Connect NOT_FOUND", async () => {
    const c = client(AnalyticsService, connectTransport(svc));
    const err = await c.getCampaignMetrics({ id: "secret" }, bearer(a.key)).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(err?.code).toBe(Code.NotFound);
    const ok = await c.getCampaignMetrics({ id: "secret" }, bearer(b.key));
    expect(ok.metrics!.totalOpened).toBe(1n);
  });

  test("gRPC NOT_FOUND", async () => {
    const stubs = grpcJsClients(svc);
    try {
      const err = await grpcCall<tp.GetCampaignMetricsRequest, tp.GetCampaignMetricsResponse>(
        stubs.analytics.getCampaignMetrics, stubs.analytics, { id: "secret" }, grpcMetadata(a.key),
      ).then(() => undefined, (e: { code: number }) => e);
      expect(err?.code).toBe(grpcStatus.NOT_FOUND);
      const ok = await grpcCall<tp.GetCampaignMetricsRequest, tp.GetCampaignMetricsResponse>(
        stubs.analytics.getCampaignMetrics, stubs.analytics, { id: "secret" }, grpcMetadata(b.key),
      );
      expect(ok.metrics?.totalSent).toBe(1);
    } finally {
      stubs.analytics.close();
      stubs.track.close();
      stubs.ingest.close();
    }
  });
});

describe("rates round half-up to 3 decimals", () => {
  test.each([
    ["r8", { open_rate: 0.125, click_rate: 0, bounce_rate: 0 }],
    ["r3", { open_rate: 0, click_rate: 0.333, bounce_rate: 0.667 }],
    ["r2000", { open_rate: 0.501, click_rate: 0.063, bounce_rate: 0.001 }],
    ["r2001", { open_rate: 0, click_rate: 0, bounce_rate: 0 }],
  ])("campaign %s", async (id, rates) => {
    const r = await get(a.key, id);
    expect(r.body.metrics).toMatchObject(rates);
    expect(r.body).toStrictEqual(refCampaign(evA, id));
  });

  test("overview: 1/2000 → 0.001, 1/2001 → 0, 1001/2000 → 0.501, 125/2000 → 0.063", async () => {
    const d1 = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-03-01&to=2026-03-01", { key: a.key });
    expect(d1.body.metrics).toMatchObject({ sends: 2000, open_rate: 0.501, click_rate: 0.063, bounce_rate: 0.001, complaint_rate: 0.001 });
    const d2 = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-03-02&to=2026-03-02", { key: a.key });
    expect(d2.body.metrics).toMatchObject({ sends: 2001, opens: 1, open_rate: 0, bounce_rate: 0, complaint_rate: 0 });
    expect(d1.body.metrics).toStrictEqual(refOverview(evA, at("2026-03-01T00:00:00Z"), at("2026-03-01T23:59:59Z")));
  });
});
