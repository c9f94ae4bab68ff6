// Time series in the zones whose DST changes are not whole hours on the hour: Pacific/Chatham
// (+12:45/+13:45, the change at 02:45 local), Australia/Lord_Howe (a 30-minute change),
// America/St_Johns (-03:30/-02:30), America/Santiago (the change at local midnight) and
// Pacific/Apia (2011-12-30 never happened there). Events every few minutes around each change;
// every bucket, its start and its counts, must equal the plain reference (lib.ts: buckets found
// by walking time through Intl, a bucket being the instants of one local hour and offset, or
// one local date, week or month).
import { afterAll, beforeAll, expect, test } from "vitest";
import { AnalyticsService } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import { bearer, client, connectTransport, rest, startService, type TestService } from "../helpers/service.js";
import { HOUR, at, chunk, isoSec, mulberry32, pick, postAll, refTimeSeries, type Ev, type Interval } from "./lib.js";

let svc: TestService;
let key: string;
const events: Ev[] = [];

/** The changes: zone and instant. */
const CHANGES: [string, string][] = [
  ["Pacific/Chatham", "2025-04-05T14:00:00Z"], // 03:45 +13:45 → 02:45 +12:45
  ["Pacific/Chatham", "2025-09-27T14:00:00Z"], // 02:45 +12:45 → 03:45 +13:45
  ["Australia/Lord_Howe", "2025-04-05T15:00:00Z"], // 02:00 +11 → 01:30 +10:30
  ["Australia/Lord_Howe", "2025-10-04T15:30:00Z"], // 02:00 +10:30 → 02:30 +11
  ["America/St_Johns", "2025-03-09T05:30:00Z"],
  ["America/St_Johns", "2025-11-02T04:30:00Z"],
  ["America/Santiago", "2025-04-06T03:00:00Z"], // 24:00 → 23:00
  ["America/Santiago", "2025-09-07T04:00:00Z"], // 00:00 → 01:00: that day starts at 01:00
  ["Pacific/Apia", "2011-12-30T10:00:00Z"], // 2011-12-29 23:59:59 -10 → 2011-12-31 00:00 +14
];

beforeAll(async () => {
  svc = await startService({ now: new Date("2026-04-06T12:00:00Z") });
  key = (await svc.newAccount()).key;
  const rng = mulberry32(0x7e5);
  let n = 0;
  for (const [, change] of CHANGES) {
    const t0 = at(change);
    // Every 4 to 9 minutes from 3 h before to 3 h after, on odd seconds too; opens and clicks
    // of a few messages, some machine, so that first (human) opens fall on both sides.
    for (let t = t0 - 3 * HOUR; t < t0 + 3 * HOUR; t += (4 + Math.floor(rng() * 6)) * 60_000 + Math.floor(rng() * 3) * 1000) {
      const contact = `c${Math.floor(rng() * 6)}@z.io`;
      const type = pick(rng, ["send", "delivered", "open", "open", "click", "bounce"] as const);
      const e: Ev = { id: `z${n++}`, type, contact_email: contact, campaign_id: "zc", ms: t };
      if (type === "bounce") e.bounce_type = "soft";
      if (type === "click") e.url = "https://z.example/";
      if ((type === "open" || type === "click") && rng() < 0.3) e.machine = true;
      events.push(e);
    }
  }
  await postAll(svc, key, chunk(events, 500));
}, 120_000);
afterAll(() => svc.close());

const series = (interval: Interval, zone: string, from: number, to: number) =>
  rest(svc, "GET", `/api/v1/analytics/timeseries?interval=${interval}&time_zone=${encodeURIComponent(zone)}&from=${encodeURIComponent(isoSec(from))}&to=${encodeURIComponent(isoSec(to))}`, { key });

test.each(CHANGES)("%s across %s: hours, days, weeks and months equal the reference", async (zone, change) => {
  const t0 = at(change);
  const cases: [Interval, number, number][] = [
    ["hour", t0 - 3 * HOUR + 17_000, t0 + 3 * HOUR - 5_000],
    ["day", t0 - 3 * HOUR - 24 * HOUR, t0 + 30 * HOUR],
    ["week", t0 - 20 * 24 * HOUR + 1_000, t0 + 9 * 24 * HOUR],
    ["month", t0 - 50 * 24 * HOUR, t0 + 40 * 24 * HOUR + 59_000],
  ];
  for (const [interval, from, to] of cases) {
    const r = await series(interval, zone, from, to);
    const want = refTimeSeries(events, from, to, interval, zone);
    expect(r.body, `${interval} ${isoSec(from)}..${isoSec(to)}`).toStrictEqual(want);
    expect(want.buckets.filter((b) => b.metrics.opens > 0).length).toBeGreaterThan(interval === "hour" ? 3 : 0);
  }
});

test("Connect answers Chatham's hours as REST does: the 15 minutes of a local hour after the change are a bucket of their own", async () => {
  const t0 = at("2025-09-27T14:00:00Z");
  const req = { interval: "hour", timeZone: "Pacific/Chatham", period: "", from: isoSec(t0 - HOUR), to: isoSec(t0 + HOUR - 1000) };
  const res = await client(AnalyticsService, connectTransport(svc)).getTimeSeries(req, bearer(key));
  // 01:45 +12:45 (the range's start) in the 01:00 bucket; 02:00 until the change at 02:45, which
  // makes it 03:45 +13:45: those 15 minutes of local 03:xx are a bucket; then 04:00.
  expect(res.buckets.map((b) => b.start)).toEqual(["2025-09-28T01:00:00+12:45", "2025-09-28T02:00:00+12:45", "2025-09-28T03:45:00+13:45", "2025-09-28T04:00:00+13:45"]);
  const want = refTimeSeries(events, t0 - HOUR, t0 + HOUR - 1000, "hour", "Pacific/Chatham");
  expect(res.buckets.map((b) => [Number(b.metrics!.sends), Number(b.metrics!.opens), Number(b.metrics!.uniqueHumanOpens)])).toEqual(
    want.buckets.map((b) => [b.metrics.sends, b.metrics.opens, b.metrics.unique_human_opens]),
  );
});

test("366 days of Europe/Berlin that hold two 25-hour days and one of 23 (366 × 24 h + 1 h) are a range of 366 days, not over it", async () => {
  const q = "from=2024-10-27&to=2025-10-27&time_zone=Europe/Berlin";
  const ov = await rest(svc, "GET", `/api/v1/analytics/overview?${q}`, { key });
  expect(ov.status, JSON.stringify(ov.body)).toBe(200);
  expect(ov.body.period).toEqual({ from: "2024-10-26T22:00:00Z", to: "2025-10-27T22:59:59Z" });
  const ts = await rest(svc, "GET", `/api/v1/analytics/timeseries?${q}&interval=week`, { key });
  expect(ts.status, JSON.stringify(ts.body)).toBe(200);
  expect(ts.body).toStrictEqual(refTimeSeries(events, at("2024-10-26T22:00:00Z"), at("2025-10-27T22:59:59Z"), "week", "Europe/Berlin"));
  // One day more is over 366 days, in Berlin as in UTC.
  for (const more of ["from=2024-10-27&to=2025-10-28&time_zone=Europe/Berlin", "from=2024-10-26T22:00:00Z&to=2025-10-27T23:00:00Z&time_zone=Europe/Berlin"]) {
    const r = await rest(svc, "GET", `/api/v1/analytics/overview?${more}`, { key });
    expect(r.status, more).toBe(400);
    expect(r.body.error).toMatchObject({ code: "invalid_argument", field: "to" });
  }
});

test.each(CHANGES)("%s across %s: ranges that start just after the change (inside a bucket whose local start is ambiguous or missing) equal the reference", async (zone, change) => {
  const t0 = at(change);
  for (const interval of ["hour", "day"] as const) {
    for (const after of [-7 * 60_000, 5 * 60_000 + 7_000, 12 * 60_000, 40 * 60_000, 70 * 60_000]) {
      const from = t0 + after;
      const to = from + 2 * HOUR + 13_000;
      const r = await series(interval, zone, from, to);
      expect(r.body, `${interval} from ${isoSec(from)}`).toStrictEqual(refTimeSeries(events, from, to, interval, zone));
    }
  }
});
