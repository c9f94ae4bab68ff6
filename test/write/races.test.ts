// 30 concurrent writes that each create the same new key: every one answers 200, and what is
// stored is one consistent result (campaigns, purchases by order id, first opens and clicks,
// rollup documents of a new day and campaign, click days).
import { afterAll, beforeAll, expect, test } from "vitest";
import { rest, startService, type TestService } from "../helpers/service.js";

const NOW = new Date("2026-04-10T00:00:00Z");
const N = 30;
let svc: TestService;
beforeAll(async () => {
  svc = await startService({ now: NOW });
});
afterAll(() => svc.close());

test("30 concurrent UpsertCampaign of a new id: all 200, one of the bodies stored, GET agrees", async () => {
  const { key } = await svc.newAccount();
  const bodies = Array.from({ length: N }, (_, i) => ({ name: `Name ${i}`, status: "sent", sent_at: "2026-04-01T09:00:00Z", total_recipients: i }));
  const answers = await Promise.all(bodies.map((body) => rest(svc, "PUT", "/api/v1/campaigns/camp_new_race", { key, body })));
  expect(answers.map((a) => a.status)).toEqual(Array(N).fill(200));
  const got = await rest(svc, "GET", "/api/v1/analytics/campaigns/camp_new_race", { key });
  expect(got.status).toBe(200);
  const i = bodies.findIndex((b) => b.name === got.body.campaign.name);
  expect(i).toBeGreaterThanOrEqual(0);
  expect(got.body.campaign.total_recipients).toBe(i);
});

test("30 concurrent batches on a new day, campaign and message: all 200, every count exact", async () => {
  const { key } = await svc.newAccount();
  // Each batch: a send, an open and a click of the same message at its own second, and a click of a
  // contact of its own; all racing to create the same day, hour, campaign, first-mark and click-day documents.
  const batch = (i: number) => [
    { id: `s${i}`, type: "send", contact_email: "same@example.com", campaign_id: "camp_r", timestamp: `2026-04-05T10:00:${String(i).padStart(2, "0")}Z` },
    { id: `o${i}`, type: "open", contact_email: "same@example.com", campaign_id: "camp_r", timestamp: `2026-04-05T10:01:${String(i).padStart(2, "0")}Z` },
    { id: `c${i}`, type: "click", contact_email: "same@example.com", campaign_id: "camp_r", timestamp: `2026-04-05T10:02:${String(i).padStart(2, "0")}Z`, url: "https://x.example/" },
  ];
  const answers = await Promise.all(Array.from({ length: N }, (_, i) => rest(svc, "POST", "/api/v1/ingest/email-events", { key, body: { events: batch(i) } })));
  expect(answers.map((a) => a.status)).toEqual(Array(N).fill(200));
  expect(answers.map((a) => a.body.accepted)).toEqual(Array(N).fill(3));
  const o = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-04-05&to=2026-04-05", { key });
  expect(o.body.metrics).toMatchObject({ sends: N, opens: N, unique_opens: 1, clicks: N, unique_clicks: 1 });
  // The partial edge hour (per-second rollups) agrees: the first open is at 10:01:00.
  const edge = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-04-05T10:01:00Z&to=2026-04-05T10:01:00Z", { key });
  expect(edge.body.metrics).toMatchObject({ opens: 1, unique_opens: 1 });
  const c = await rest(svc, "GET", "/api/v1/analytics/campaigns/camp_r", { key });
  expect(c.body.metrics).toMatchObject({ total_sent: N, total_opened: N, total_clicked: N });
});

test("30 concurrent purchases with one new order id: all 200, one event id, attributed alike", async () => {
  const { key } = await svc.newAccount();
  const click = { id: "k1", type: "click", contact_email: "buyer@example.com", campaign_id: "camp_p", timestamp: "2026-04-09T10:00:00Z", url: "https://x.example/" };
  expect((await rest(svc, "POST", "/api/v1/ingest/email-events", { key, body: { events: [click] } })).status).toBe(200);
  const body = (i: number) => ({ contact_email: "buyer@example.com", amount: 10 + i, currency: "USD", order_id: "order_race", timestamp: "2026-04-09T12:00:00Z" });
  const answers = await Promise.all(Array.from({ length: N }, (_, i) => rest(svc, "POST", "/api/v1/track/purchase", { key, body: body(i) })));
  expect(answers.map((a) => a.status)).toEqual(Array(N).fill(200));
  expect(new Set(answers.map((a) => a.body.event_id)).size).toBe(1);
  expect(new Set(answers.map((a) => a.body.attributed_campaign_id))).toEqual(new Set(["camp_p"]));
});
