import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TrackService } from "../../gen/es/misar/analytics/v1/track_service_pb.js";
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
import { Caller, PROTOCOLS, campaignMetrics, emailEvent, show } from "./support.js";

const NOW = new Date("2026-04-10T00:00:00Z");

let svc: TestService;
let caller: Caller;
beforeAll(async () => {
  svc = await startService({ now: NOW });
  caller = new Caller(svc);
});
afterAll(async () => {
  caller?.close();
  await svc?.close();
});

const countPurchases = (account: string) => svc.store.db.collection("purchases").countDocuments({ a: account });
const countEmailEvents = (account: string) => svc.store.db.collection("email_events").countDocuments({ a: account });
const ingest = (key: string, events: unknown[]) => rest(svc, "POST", "/api/v1/ingest/email-events", { key, body: { events } });

describe("RecordEmailEvents: producer ids are counted once, ever", () => {
  const BATCH = [
    emailEvent({ id: "m-1", type: "send", contact_email: "a@example.com", campaign_id: "camp_i", timestamp: "2026-04-02T10:00:00Z" }),
    emailEvent({ id: "m-2", type: "send", contact_email: "b@example.com", campaign_id: "camp_i", timestamp: "2026-04-02T10:00:00Z" }),
    emailEvent({ id: "m-3", type: "open", contact_email: "a@example.com", campaign_id: "camp_i", timestamp: "2026-04-02T10:30:00Z" }),
    emailEvent({ id: "m-4", type: "click", contact_email: "a@example.com", campaign_id: "camp_i", timestamp: "2026-04-02T10:31:00Z" }),
    emailEvent({ id: "m-5", type: "bounce", bounce_type: "soft", contact_email: "b@example.com", campaign_id: "camp_i", timestamp: "2026-04-02T10:01:00Z" }),
  ];
  const EXPECTED = { total_sent: 2, total_opened: 1, total_clicked: 1, total_bounced: 1 };

  test("the same batch sent twice: accepted 0, duplicates N, counts unchanged (REST)", async () => {
    const { account, key } = await svc.newAccount();
    expect((await ingest(key, BATCH)).body).toEqual({ success: true, accepted: 5, duplicates: 0 });
    const before = await campaignMetrics(svc, key, "camp_i");
    expect(before.body.metrics).toMatchObject(EXPECTED);
    const overviewBefore = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-04-01&to=2026-04-03", { key });

    expect((await ingest(key, BATCH)).body).toEqual({ success: true, accepted: 0, duplicates: 5 });
    const after = await campaignMetrics(svc, key, "camp_i");
    expect(after.body).toEqual(before.body);
    const overviewAfter = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-04-01&to=2026-04-03", { key });
    expect(overviewAfter.body).toEqual(overviewBefore.body);
    expect(overviewAfter.body.metrics).toMatchObject({ sends: 2, opens: 1, unique_opens: 1, clicks: 1, unique_clicks: 1, bounces: 1, soft_bounces: 1 });
    expect(await countEmailEvents(account)).toBe(5);
  });

  test("a retry on another protocol is still a duplicate; a partly new batch counts only the new events", async () => {
    const { key } = await svc.newAccount();
    for (const [i, protocol] of PROTOCOLS.entries()) {
      const o = await caller.call(protocol, "recordEmailEvents", { events: BATCH }, { key });
      if (!o.ok) throw new Error(show(o));
      expect([Number(o.body.accepted), Number(o.body.duplicates)], protocol).toEqual(i === 0 ? [5, 0] : [0, 5]);
    }
    const more = [
      ...BATCH.slice(0, 2),
      emailEvent({ id: "m-6", type: "send", contact_email: "c@example.com", campaign_id: "camp_i", timestamp: "2026-04-02T11:00:00Z" }),
    ];
    expect((await ingest(key, more)).body).toEqual({ success: true, accepted: 1, duplicates: 2 });
    expect((await campaignMetrics(svc, key, "camp_i")).body.metrics).toMatchObject({ ...EXPECTED, total_sent: 3 });
  });

  test("an id repeated within one batch counts once", async () => {
    const { account, key } = await svc.newAccount();
    const open = emailEvent({ id: "dup-in-batch", type: "open", contact_email: "a@example.com", campaign_id: "camp_r", timestamp: "2026-04-03T09:00:00Z" });
    const r = await ingest(key, [
      emailEvent({ id: "s", contact_email: "a@example.com", campaign_id: "camp_r", timestamp: "2026-04-03T08:00:00Z" }),
      open,
      open,
      { ...open, timestamp: "2026-04-03T09:30:00Z" },
    ]);
    expect(r.body).toEqual({ success: true, accepted: 2, duplicates: 2 });
    expect((await campaignMetrics(svc, key, "camp_r")).body.metrics).toMatchObject({ total_sent: 1, total_opened: 1 });
    expect(await countEmailEvents(account)).toBe(2);
  });

  test("the same batch sent 6 times at once, with other accounts' batches in flight: stored once, each answer exact", async () => {
    const { account, key } = await svc.newAccount();
    const others = await Promise.all([svc.newAccount(), svc.newAccount()]);
    const results = await Promise.all([
      ...Array.from({ length: 6 }, () => ingest(key, BATCH)),
      ...others.map((o) => ingest(o.key, BATCH)),
    ]);
    const mine = results.slice(0, 6).map((r) => r.body);
    // One of the six stores the batch (which one is a race); the other five are duplicates.
    expect(mine.filter((b) => b.accepted === 5 && b.duplicates === 0)).toHaveLength(1);
    expect(mine.filter((b) => b.accepted === 0 && b.duplicates === 5)).toHaveLength(5);
    for (const r of results.slice(6)) expect(r.body).toEqual({ success: true, accepted: 5, duplicates: 0 });
    expect(await countEmailEvents(account)).toBe(5);
    for (const k of [key, ...others.map((o) => o.key)]) {
      expect((await campaignMetrics(svc, k, "camp_i")).body.metrics).toMatchObject(EXPECTED);
    }
  });

  test("events without an id are never deduplicated", async () => {
    const { key } = await svc.newAccount();
    const ev = emailEvent({ type: "open", campaign_id: "camp_n", timestamp: "2026-04-03T09:00:00Z" });
    expect((await ingest(key, [ev, ev])).body).toEqual({ success: true, accepted: 2, duplicates: 0 });
    expect((await ingest(key, [ev])).body).toEqual({ success: true, accepted: 1, duplicates: 0 });
    expect((await campaignMetrics(svc, key, "camp_n")).body.metrics.total_opened).toBe(3);
  });
});

describe("TrackPurchase: order_id is the deduplication key", () => {
  test("a repeat returns the first call's event_id and attribution with duplicate=true, and stores nothing", async () => {
    const { account, key } = await svc.newAccount();
    expect((await ingest(key, [emailEvent({ type: "click", contact_email: "buyer@example.com", campaign_id: "camp_first", timestamp: "2026-04-09T10:00:00Z" })])).status).toBe(200);
    const body = { contact_email: "buyer@example.com", amount: 50, currency: "USD", order_id: "ord-1" };
    const first = await rest(svc, "POST", "/api/v1/track/purchase", { key, body });
    expect(first.body).toEqual({ success: true, event_id: expect.stringMatching(/^evt_/), attributed_campaign_id: "camp_first", duplicate: false });

    // A newer click would change the attribution of a new purchase, but not of the repeat.
    await ingest(key, [emailEvent({ type: "click", contact_email: "buyer@example.com", campaign_id: "camp_second", timestamp: "2026-04-09T20:00:00Z" })]);
    const again = await rest(svc, "POST", "/api/v1/track/purchase", { key, body: { ...body, amount: 75 } });
    expect(again.body).toEqual({ success: true, event_id: first.body.event_id, attributed_campaign_id: "camp_first", duplicate: true });
    expect(await countPurchases(account)).toBe(1);
    const [doc] = await svc.store.db.collection("purchases").find({ a: account }).toArray();
    expect(doc?.amount).toBe(50);

    // The same order over Connect (JSON and binary) and grpc-js gives the same answer.
    for (const binary of [false, true]) {
      const r = await client(TrackService, connectTransport(svc, { binary })).trackPurchase(
        { contactEmail: "buyer@example.com", amount: 50, currency: "USD", orderId: "ord-1" },
        bearer(key),
      );
      expect([r.eventId, r.attributedCampaignId, r.duplicate]).toEqual([first.body.event_id, "camp_first", true]);
    }
    const g = caller.grpc.track;
    const gr = await grpcCall(g.trackPurchase, g, { contactEmail: "buyer@example.com", amount: 50, currency: "USD", orderId: "ord-1", items: [] }, grpcMetadata(key));
    expect(gr).toEqual({ eventId: first.body.event_id, attributedCampaignId: "camp_first", duplicate: true });
    expect(await countPurchases(account)).toBe(1);

    // A different order id is a new purchase, attributed afresh.
    const other = await rest(svc, "POST", "/api/v1/track/purchase", { key, body: { ...body, order_id: "ord-2" } });
    expect(other.body).toMatchObject({ attributed_campaign_id: "camp_second", duplicate: false });
    expect(other.body.event_id).not.toBe(first.body.event_id);
  });

  test("an unattributed repeat answers attributed_campaign_id null both times", async () => {
    const { key } = await svc.newAccount();
    const body = { contact_email: "solo@example.com", amount: 1, currency: "EUR", order_id: "solo-1" };
    const a = await rest(svc, "POST", "/api/v1/track/purchase", { key, body });
    const b = await rest(svc, "POST", "/api/v1/track/purchase", { key, body });
    expect(a.body).toEqual({ success: true, event_id: expect.stringMatching(/^evt_/), attributed_campaign_id: null, duplicate: false });
    expect(b.body).toEqual({ ...a.body, duplicate: true });
  });

  test.each(["rest", "grpc-js"] as const)("20 concurrent identical requests (%s): one event id, exactly one duplicate=false", async (protocol) => {
    const { account, key } = await svc.newAccount();
    await ingest(key, [emailEvent({ type: "click", contact_email: "race@example.com", campaign_id: "camp_race", timestamp: "2026-04-09T00:00:00Z" })]);
    const body = { contact_email: "race@example.com", amount: 10, currency: "USD", order_id: "race-1", items: [{ name: "X", quantity: 1, price: 10 }] };
    const results = await Promise.all(Array.from({ length: 20 }, () => caller.call(protocol, "trackPurchase", body, { key })));
    const bodies = results.map((o) => {
      if (!o.ok) throw new Error(show(o));
      return o.body;
    });
    const eventIds = new Set(bodies.map((b) => b.event_id ?? b.eventId));
    expect(eventIds.size).toBe(1);
    expect([...eventIds][0]).toMatch(/^evt_/);
    expect(bodies.filter((b) => b.duplicate === false)).toHaveLength(1);
    expect(bodies.filter((b) => b.duplicate === true)).toHaveLength(19);
    expect(new Set(bodies.map((b) => b.attributed_campaign_id ?? b.attributedCampaignId))).toEqual(new Set(["camp_race"]));
    expect(await countPurchases(account)).toBe(1);
  });
});
