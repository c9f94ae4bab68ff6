// The spec's own two response examples, reproduced from events ingested over the wire.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { AnalyticsService } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import type * as tp from "../../gen/ts-proto/misar/analytics/v1/analytics_service.js";
import {
  bearer,
  client,
  connectTransport,
  grpcCall,
  grpcJsClients,
  grpcMetadata,
  grpcTransport,
  rest,
  startService,
  type TestService,
} from "../helpers/service.js";
import { at, chunk, mulberry32, post, postAll, refOverview, shuffle, type Ev } from "./lib.js";

const NOW = new Date("2026-04-06T12:00:00Z");
const FROM = at("2026-03-07T00:00:00Z");
const TO = at("2026-04-06T23:59:59Z");

/** The spec's overview example, with open_rate 0.391 (4884/12480 = 0.39134...). */
const SPEC_OVERVIEW = {
  success: true,
  period: { from: "2026-03-07T00:00:00Z", to: "2026-04-06T23:59:59Z" },
  metrics: {
    sends: 12480,
    delivered: 12210,
    opens: 4884,
    unique_opens: 3663,
    clicks: 1221,
    unique_clicks: 855,
    bounces: 270,
    hard_bounces: 48,
    soft_bounces: 222,
    complaints: 12,
    unsubscribes: 36,
    open_rate: 0.391,
    click_rate: 0.098,
    bounce_rate: 0.022,
    complaint_rate: 0.001,
  },
};

/** What the service adds after the spec's own fields; in this example every event is human and nothing was bought. */
const OVERVIEW_ADDED = {
  human_opens: 4884,
  unique_human_opens: 3663,
  human_clicks: 1221,
  unique_human_clicks: 855,
  human_open_rate: 0.391,
  human_click_rate: 0.098,
  purchases: 0,
  conversions: 0,
  revenue: [],
  attributed_revenue: [],
};
const SERVED_OVERVIEW = { ...SPEC_OVERVIEW, metrics: { ...SPEC_OVERVIEW.metrics, ...OVERVIEW_ADDED } };

/** The spec's campaign example, verbatim. */
const SPEC_CAMPAIGN = {
  success: true,
  campaign: { id: "camp_abc123", name: "April Newsletter", status: "sent", sent_at: "2026-04-01T09:00:00Z" },
  metrics: {
    total_recipients: 5200,
    total_sent: 5200,
    total_delivered: 5096,
    total_opened: 2038,
    total_clicked: 510,
    total_bounced: 104,
    total_complained: 5,
    total_unsubscribed: 18,
    open_rate: 0.392,
    click_rate: 0.098,
    bounce_rate: 0.02,
  },
  timeline: [
    { hour: "2026-04-01T09:00:00Z", opens: 820, clicks: 205 },
    { hour: "2026-04-01T10:00:00Z", opens: 614, clicks: 153 },
  ],
};

/** What the service adds after the spec's campaign metrics (every event human, nothing bought). */
const CAMPAIGN_ADDED = {
  conversions: 0,
  conversion_rate: 0,
  revenue: [],
  unique_opens: 1500,
  unique_clicks: 400,
  human_opens: 2038,
  unique_human_opens: 1500,
  human_clicks: 510,
  unique_human_clicks: 400,
  human_open_rate: 0.392,
  human_click_rate: 0.098,
};

/** snake_case → camelCase, with counts as bigint (protobuf-es) or number (ts-proto). */
function camel(o: Record<string, unknown>, int: (n: number) => unknown, counts: string[]): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), counts.includes(k) ? int(v as number) : v]),
  );
}
const isCount = (k: string, v: unknown) => typeof v === "number" && !k.endsWith("_rate");

/**
 * 12,480 messages sent inside the 30-day window (the first exactly at `from`, the last exactly at
 * `to`), plus one message sent before it whose first open and click fall 1 s before `from` and
 * whose second open and click fall exactly on `from` (they count as events, not as unique), and
 * a message whose every event falls 1 s after `to`.
 */
function overviewEvents(): Ev[] {
  const ev: Ev[] = [];
  let n = 0;
  const add = (e: Omit<Ev, "id">) => ev.push({ id: `ov-${n++}`, ...e });
  const camps = ["spring_a", "spring_b", "spring_c", undefined];
  for (let i = 0; i < 12480; i++) {
    const contact = `c${i}@example.com`;
    const campaign_id = camps[i % 4];
    // 62 sending hours, 12 h apart (fewer rollup documents keep FerretDB quick).
    const send = i === 12479 ? TO : FROM + (i % 62) * 12 * 3_600_000 + Math.floor(i / 62) * 10_000 + (i === 0 ? 0 : 7_000);
    add({ type: "send", contact_email: contact, campaign_id, ms: send });
    if (i < 12210) add({ type: "delivered", contact_email: contact, campaign_id, ms: send + 30_000 });
    else add({ type: "bounce", bounce_type: i < 12210 + 48 ? "hard" : "soft", contact_email: contact, campaign_id, ms: i === 12479 ? TO : send + 20_000 });
    if (i < 3663) add({ type: "open", contact_email: contact, campaign_id, ms: send + 600_000 });
    if (i < 1220) add({ type: "open", contact_email: contact, campaign_id, ms: send + 3_613_000 });
    if (i < 855) add({ type: "click", contact_email: contact, campaign_id, ms: send + 900_000, url: "https://example.com/a" });
    if (i < 365) add({ type: "click", contact_email: contact, campaign_id, ms: send + 7_200_000, url: "https://example.com/b" });
    if (i >= 100 && i < 112) add({ type: "complaint", contact_email: contact, campaign_id, ms: send + 1_000_000 });
    if (i >= 200 && i < 236) add({ type: "unsubscribe", contact_email: contact, campaign_id, ms: send + 1_100_000 });
  }
  const o1 = { contact_email: "early@example.com", campaign_id: "spring_a" };
  add({ type: "send", ...o1, ms: FROM - 4 * 3_600_000 });
  add({ type: "delivered", ...o1, ms: FROM - 4 * 3_600_000 + 30_000 });
  add({ type: "open", ...o1, ms: FROM - 1000 });
  add({ type: "open", ...o1, ms: FROM });
  add({ type: "click", ...o1, ms: FROM - 1000 });
  add({ type: "click", ...o1, ms: FROM });
  const after = TO + 1000;
  const o2 = { contact_email: "late@example.com" };
  for (const type of ["send", "delivered", "open", "click", "complaint", "unsubscribe"] as const) add({ type, ...o2, ms: after });
  add({ type: "bounce", bounce_type: "hard", contact_email: "late2@example.com", ms: after });
  add({ type: "send", contact_email: "late2@example.com", ms: after });
  // A later open of an in-window message, after the window: neither an open nor a unique open.
  add({ type: "open", contact_email: "c0@example.com", campaign_id: "spring_a", ms: after });
  return ev;
}

/** camp_abc123: 5,200 sends from 09:00, engagement in hours 09, 10, 11 and 14. */
function campaignEvents(): Ev[] {
  const ev: Ev[] = [];
  let n = 0;
  const SENT = at("2026-04-01T09:00:00Z");
  const c = (i: number) => `r${i}@example.org`;
  const add = (e: Omit<Ev, "id" | "campaign_id">) => ev.push({ id: `camp-${n++}`, campaign_id: "camp_abc123", ...e });
  for (let i = 0; i < 5200; i++) {
    const send = SENT + Math.floor(i / 2) * 1000;
    add({ type: "send", contact_email: c(i), ms: send });
    if (i < 5096) add({ type: "delivered", contact_email: c(i), ms: send + 5000 });
    else add({ type: "bounce", bounce_type: i < 5096 + 30 ? "hard" : "soft", contact_email: c(i), ms: send + 5000 });
  }
  // [hour start, opens, clicks, seconds between events]
  const hours: [string, number, number, number][] = [
    ["2026-04-01T09:44:00Z", 820, 205, 1],
    ["2026-04-01T10:00:00Z", 614, 153, 5],
    ["2026-04-01T11:00:00Z", 400, 100, 5],
    ["2026-04-01T14:00:00Z", 204, 52, 10],
  ];
  let o = 0;
  let k = 0;
  for (const [start, opens, clicks, step] of hours) {
    for (let j = 0; j < opens; j++) add({ type: "open", contact_email: c(o++ % 1500), ms: at(start) + j * step * 1000 });
    for (let j = 0; j < clicks; j++) add({ type: "click", contact_email: c(k++ % 400), ms: at(start) + j * step * 1000, url: "https://x.example/p" });
  }
  for (let i = 0; i < 5; i++) add({ type: "complaint", contact_email: c(i), ms: at("2026-04-01T12:30:00Z") });
  for (let i = 0; i < 18; i++) add({ type: "unsubscribe", contact_email: c(100 + i), ms: at("2026-04-01T12:31:00Z") + i * 1000 });
  return ev;
}

function inBatches(rng: () => number, events: Ev[]): Ev[][] {
  const sorted = [...events].sort((x, y) => x.ms - y.ms);
  return chunk(sorted, 1000).map((c) => shuffle(rng, c));
}

let svc: TestService;
let overviewKey: string;
let campaignKey: string;
let ovEvents: Ev[];

beforeAll(async () => {
  svc = await startService({ now: NOW });
  const rng = mulberry32(20260406);
  ovEvents = overviewEvents();
  const a = await svc.newAccount();
  const b = await svc.newAccount();
  overviewKey = a.key;
  campaignKey = b.key;
  // Arrival as a pipeline sends it: time-sorted batches of 1000, each shuffled within itself.
  // (Out-of-order arrival that moves first opens is the differential test's business; here it
  // would only make FerretDB, whose updates scan a collection, slow.)
  const shuffled = inBatches(rng, ovEvents);
  const camp = inBatches(rng, campaignEvents());
  const put = await rest(svc, "PUT", "/api/v1/campaigns/camp_abc123", {
    key: campaignKey,
    body: { name: "April Newsletter", status: "sent", sent_at: "2026-04-01T09:00:00Z", total_recipients: 5200 },
  });
  expect(put).toEqual({
    status: 200,
    body: {
      success: true,
      campaign: { id: "camp_abc123", name: "April Newsletter", status: "sent", sent_at: "2026-04-01T09:00:00Z", total_recipients: 5200 },
    },
  });
  const t0 = Date.now();
  await Promise.all([postAll(svc, overviewKey, shuffled), postAll(svc, campaignKey, camp)]);
  console.log(`ingested ${ovEvents.length} + ${camp.flat().length} events in ${Date.now() - t0} ms`);
  // A retried batch changes nothing.
  expect(await post(svc, overviewKey, shuffled[0]!)).toEqual({ accepted: 0, duplicates: shuffled[0]!.length });
}, 900_000);
afterAll(() => svc.close());

describe("overview example", () => {
  test("the generated events themselves yield the spec's counts (reference check)", () => {
    expect({ success: true, period: SPEC_OVERVIEW.period, metrics: refOverview(ovEvents, FROM, TO) }).toEqual(SERVED_OVERVIEW);
  });

  test("REST ?period=30d equals the spec's JSON field for field, in the spec's order", async () => {
    const r = await rest(svc, "GET", "/api/v1/analytics/overview?period=30d", { key: overviewKey });
    expect(r.status).toBe(200);
    expect(r.body).toStrictEqual(SERVED_OVERVIEW);
    expect(Object.keys(r.body)).toEqual(["success", "period", "metrics"]);
    expect(Object.keys(r.body.period)).toEqual(["from", "to"]);
    // The spec's fields first, in its order; the added ones after them.
    expect(Object.keys(r.body.metrics)).toEqual([...Object.keys(SPEC_OVERVIEW.metrics), ...Object.keys(OVERVIEW_ADDED)]);
    for (const k of Object.keys(SPEC_OVERVIEW.metrics)) expect(typeof r.body.metrics[k], k).toBe("number");
  });

  test("the default period is 30d, and explicit from/to give the same body", async () => {
    const d = await rest(svc, "GET", "/api/v1/analytics/overview", { key: overviewKey });
    expect(d.body).toStrictEqual(SERVED_OVERVIEW);
    const e = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-03-07&to=2026-04-06", { key: overviewKey });
    expect(e.body).toStrictEqual(SERVED_OVERVIEW);
  });

  test("one second wider on either side takes in the edge events", async () => {
    const r = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-03-06T23:59:59Z&to=2026-04-07T00:00:00Z", { key: overviewKey });
    expect(r.body.metrics).toEqual(refOverview(ovEvents, FROM - 1000, TO + 1000));
    expect(r.body.metrics).toMatchObject({ sends: 12482, opens: 4887, unique_opens: 3665, clicks: 1223, unique_clicks: 857, bounces: 271, hard_bounces: 49 });
  });

  test("Connect (JSON and binary) and gRPC (connect-node and grpc-js stubs) carry the same numbers", async () => {
    const m = SERVED_OVERVIEW.metrics;
    const counts = Object.keys(m).filter((k) => isCount(k, m[k as keyof typeof m]));
    const asBig = camel(m, BigInt, counts);
    for (const transport of [connectTransport(svc), connectTransport(svc, { binary: true }), grpcTransport(svc)]) {
      const res = await client(AnalyticsService, transport).getOverview({ period: "30d" }, bearer(overviewKey));
      expect(timestampDate(res.period!.from!).toISOString()).toBe("2026-03-07T00:00:00.000Z");
      expect(timestampDate(res.period!.to!).toISOString()).toBe("2026-04-06T23:59:59.000Z");
      const { $typeName: _t, ...metrics } = res.metrics!;
      expect(metrics).toStrictEqual(asBig);
    }
    const stubs = grpcJsClients(svc);
    try {
      const res = await grpcCall<tp.GetOverviewRequest, tp.GetOverviewResponse>(stubs.analytics.getOverview, stubs.analytics, { period: "30d", from: "", to: "", timeZone: "" }, grpcMetadata(overviewKey));
      expect(res.period).toEqual({ from: new Date(FROM), to: new Date(TO) });
      expect(res.metrics).toEqual(camel(m, Number, counts));
    } finally {
      stubs.analytics.close();
      stubs.track.close();
      stubs.ingest.close();
    }
  });
});

describe("campaign example", () => {
  test("REST equals the spec's JSON field for field; the timeline starts with the spec's two hours", async () => {
    const r = await rest(svc, "GET", "/api/v1/analytics/campaigns/camp_abc123", { key: campaignKey });
    expect(r.status).toBe(200);
    const { timeline, ...rest_ } = r.body;
    const { timeline: specTimeline, ...specRest } = SPEC_CAMPAIGN;
    // The campaign block may carry total_recipients after the spec's own fields.
    expect(rest_).toStrictEqual({ ...specRest, campaign: { ...specRest.campaign, total_recipients: 5200 }, metrics: { ...specRest.metrics, ...CAMPAIGN_ADDED } });
    expect(Object.keys(r.body)).toEqual(["success", "campaign", "metrics", "timeline"]);
    expect(Object.keys(r.body.campaign)).toEqual([...Object.keys(SPEC_CAMPAIGN.campaign), "total_recipients"]);
    expect(Object.keys(r.body.metrics)).toEqual([...Object.keys(SPEC_CAMPAIGN.metrics), ...Object.keys(CAMPAIGN_ADDED)]);
    expect(timeline.slice(0, 2)).toStrictEqual(specTimeline);
    // The rest of the engagement, zero-filled between hours.
    expect(timeline.slice(2)).toStrictEqual([
      { hour: "2026-04-01T11:00:00Z", opens: 400, clicks: 100 },
      { hour: "2026-04-01T12:00:00Z", opens: 0, clicks: 0 },
      { hour: "2026-04-01T13:00:00Z", opens: 0, clicks: 0 },
      { hour: "2026-04-01T14:00:00Z", opens: 204, clicks: 52 },
    ]);
  });

  test("the campaign's events all fall in its account's 30d overview", async () => {
    const r = await rest(svc, "GET", "/api/v1/analytics/overview?period=30d", { key: campaignKey });
    expect(r.body.metrics).toMatchObject({ sends: 5200, delivered: 5096, opens: 2038, unique_opens: 1500, clicks: 510, unique_clicks: 400, bounces: 104, hard_bounces: 30, soft_bounces: 74, complaints: 5, unsubscribes: 18, open_rate: 0.392 });
  });

  test("Connect and grpc-js carry the same campaign metrics", async () => {
    const res = await client(AnalyticsService, connectTransport(svc)).getCampaignMetrics({ id: "camp_abc123" }, bearer(campaignKey));
    expect(res.metrics!.totalOpened).toBe(2038n);
    expect(res.metrics!.openRate).toBe(0.392);
    expect(res.timeline.slice(0, 2).map((t) => [timestampDate(t.hour!).toISOString(), t.opens, t.clicks])).toEqual([
      ["2026-04-01T09:00:00.000Z", 820n, 205n],
      ["2026-04-01T10:00:00.000Z", 614n, 153n],
    ]);
    const stubs = grpcJsClients(svc);
    try {
      const g = await grpcCall<tp.GetCampaignMetricsRequest, tp.GetCampaignMetricsResponse>(stubs.analytics.getCampaignMetrics, stubs.analytics, { id: "camp_abc123" }, grpcMetadata(campaignKey));
      expect(g.campaign).toMatchObject({ id: "camp_abc123", name: "April Newsletter", sentAt: new Date("2026-04-01T09:00:00Z"), totalRecipients: 5200 });
      const m = { ...SPEC_CAMPAIGN.metrics, ...CAMPAIGN_ADDED };
      expect(g.metrics).toEqual(camel(m, Number, Object.keys(m).filter((k) => isCount(k, m[k as keyof typeof m]))));
      expect(g.timeline.length).toBe(6);
    } finally {
      stubs.analytics.close();
      stubs.track.close();
      stubs.ingest.close();
    }
  });
});
