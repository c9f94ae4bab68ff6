// Revenue sums are exact at any size: counters are 64-bit and a read adds them as BigInt. A nanos
// counter past 2^53 (some 10^7 purchases' fractions: prepared in the stored rollups, as counting
// that many would) reads to the exact cent, where a JavaScript number is off by one nano and
// rounds the other way; the largest amounts a purchase may carry add up exactly too.
import { Long } from "mongodb";
import { afterAll, beforeAll, expect, test } from "vitest";
import { revenueOf } from "../../src/storage/money.js";
import { rest, startService, type TestService } from "../helpers/service.js";
import type { BucketJson } from "../helpers/rest-bodies.js";

let svc: TestService;
beforeAll(async () => {
  svc = await startService({ now: new Date("2026-04-06T12:00:00Z") });
});
afterAll(() => svc.close());

const DAY = 86_400_000;
const START = Date.parse("2026-02-01T10:00:00Z");

/** Cents, rounded half-up, of a sum of decimal amounts, in BigInt; as the API's double. */
function reference(amounts: string[]): number {
  let nanos = 0n;
  for (const a of amounts) {
    const [u, f = ""] = a.split(".");
    nanos += BigInt(u!) * 1_000_000_000n + BigInt((f + "000000000").slice(0, 9));
  }
  const cents = (nanos + 5_000_000n) / 10_000_000n;
  return Number(`${cents / 100n}.${String(cents % 100n).padStart(2, "0")}`);
}

test("twenty purchases of 999,999,999,999,999 and three of 0.005 on separate days: revenue exact in the overview and in every day's bucket", async () => {
  const { key } = await svc.newAccount();
  const amounts: string[] = [];
  for (let i = 0; i < 23; i++) {
    const amount = i < 20 ? "999999999999999" : "0.005";
    amounts.push(amount);
    const r = await rest(svc, "POST", "/api/v1/track/purchase", {
      key,
      body: { contact_email: `b${i}@ex.io`, amount: Number(amount), currency: "USD", order_id: `o${i}`, timestamp: new Date(START + i * DAY).toISOString() },
    });
    expect(r.status).toBe(200);
  }
  const want = reference(amounts);
  expect(want).toBe(19_999_999_999_999_980);
  const range = "from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z";
  const overview = await rest(svc, "GET", `/api/v1/analytics/overview?${range}`, { key });
  expect(overview.status).toBe(200);
  expect(overview.body.metrics.purchases).toBe(23);
  expect(overview.body.metrics.revenue).toEqual([{ currency: "USD", amount: want }]);
  const series = await rest(svc, "GET", `/api/v1/analytics/timeseries?${range}&interval=day`, { key });
  expect(series.status).toBe(200);
  const days = series.body.buckets.filter((b: BucketJson) => b.metrics.revenue.length > 0);
  expect(days.map((b: BucketJson) => b.metrics.revenue)).toEqual(amounts.map((a) => [{ currency: "USD", amount: reference([a]) }]));
});

test("a nanos counter past 2^53 in the stored rollups reads to the exact cent (9,007,199.25, not .26)", async () => {
  const { account, key } = await svc.newAccount();
  const r = await rest(svc, "POST", "/api/v1/track/purchase", {
    key,
    body: { contact_email: "b@ex.io", amount: 0.999999999, currency: "EUR", order_id: "o1", timestamp: "2026-02-03T10:00:00Z" },
  });
  expect(r.status).toBe(200);
  // Every day span of the account holds that day: as if 10^7 more purchases' nanos had been counted.
  const total = 9_007_199_254_999_999n;
  const spans = await svc.store.db.collection("account_day_spans").updateMany({ a: account }, { $inc: { "n.rev_EUR_n": Long.fromBigInt(total - 999_999_999n) } });
  expect(spans.modifiedCount).toBeGreaterThan(0);
  const want = [{ currency: "EUR", amount: 9_007_199.25 }];
  expect(Number((total + 5_000_000n) / 10_000_000n) / 100).toBe(9_007_199.25);
  const overview = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-02-03T00:00:00Z&to=2026-02-04T00:00:00Z", { key });
  expect(overview.body.metrics.revenue).toEqual(want);
  const series = await rest(svc, "GET", "/api/v1/analytics/timeseries?from=2026-02-01T00:00:00Z&to=2026-02-08T00:00:00Z&interval=day", { key });
  expect(series.body.buckets.flatMap((b: BucketJson) => b.metrics.revenue)).toEqual(want);
});

test("eleven purchases of 999,999,999,999,999 in one hour, one campaign: the same revenue before and after a rebuild (which sums them in one page)", async () => {
  const { account, key } = await svc.newAccount();
  const amounts: string[] = [];
  for (let i = 0; i < 11; i++) {
    amounts.push("999999999999999");
    const p = { eventId: `evt_${i}`, email: `b${i}@ex.io`, amount: 999999999999999, currency: "USD", items: [], timestamp: new Date(`2026-02-01T10:${String(10 + i)}:07Z`), attributedCampaignId: "camp" };
    await svc.store.ingest.recordPurchase(account, { ...p, orderId: `o${i}` }, async () => p.attributedCampaignId, new Date());
  }
  const want = [{ currency: "USD", amount: reference(amounts) }];
  // 10,999,999,999,999,989 exactly; as a double, the nearest one to it.
  expect(want[0]!.amount).toBe(Number("10999999999999989"));
  // Whole days, then cut at seconds inside the hour (its quarters and seconds), and the campaign:
  // as the API answers (a double) and as stored (the exact units, which a double could hide).
  const hour = Date.parse("2026-02-01T10:00:00Z");
  const read = async () => ({
    day: (await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-02-01T00:00:00Z&to=2026-02-02T00:00:00Z", { key })).body.metrics.revenue,
    cut: (await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-02-01T10:05:00Z&to=2026-02-01T10:59:59Z", { key })).body.metrics.attributed_revenue,
    campaign: revenueOf((await svc.store.rollups.campaign(account, "camp"))!.counts, "rev"),
    units: [
      (await svc.store.rollups.sumDays(account, new Date(hour), new Date(hour + 86_400_000))).rev_USD_u,
      (await svc.store.rollups.sumSecondRanges(account, [[hour + 300_000, hour + 3_599_000]]))[0]!.arev_USD_u,
      (await svc.store.rollups.campaign(account, "camp"))!.counts.rev_USD_u,
    ].map(String),
  });
  const before = await read();
  expect(before).toEqual({ day: want, cut: want, campaign: want, units: ["10999999999999989", "10999999999999989", "10999999999999989"] });
  await svc.store.ingest.rebuild(account);
  expect(await read()).toEqual(before);
});
