// The differential test: seeded random event streams over three accounts, replayed over REST with
// duplicates, retries and out-of-order arrival; every overview (random ranges, hour-aligned or
// not, single seconds, presets) and every campaign must equal a plain reference computation.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rest, startService, type TestService } from "../helpers/service.js";
import { CLOCK, generate, purchases, zoneMarks, type PurchasePlan, type Stream } from "./generator.js";
import {
  DAY,
  HOUR,
  Ledger,
  at,
  int,
  isoSec,
  limit,
  local,
  localMidnight,
  mulberry32,
  pick,
  post,
  refAttribution,
  refCampaign,
  refCampaignBlock,
  refCampaignCounts,
  refHuman,
  refOverview,
  refRate,
  refRevenue,
  refTimeSeries,
  type Ev,
  type Interval,
  type RefPurchase,
} from "./lib.js";

const SEED = Number(process.env.DIFF_SEED ?? 0x5eed1);
const RANGES = 40;

interface Account {
  key: string;
  stream: Stream;
  ledger: Ledger;
  /** Purchases as stored (the first of each order id), with the campaign the service attributed. */
  bought: RefPurchase[];
  /** How many attributions the reference could check (no tie between campaigns). */
  checked: number;
}

/** Posts a purchase over REST and returns its answer. */
async function buy(a: Account, p: PurchasePlan) {
  const body: Record<string, unknown> = { contact_email: p.contact_email, amount: Number(p.amount), currency: p.currency, timestamp: isoSec(p.ms) };
  if (p.order_id !== undefined) body.order_id = p.order_id;
  const r = await rest(svc, "POST", "/api/v1/track/purchase", { key: a.key, body });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { event_id: string; attributed_campaign_id: string | null; duplicate: boolean };
}

/** Records a newly stored purchase, checking its attribution against the reference. */
function stored(a: Account, p: PurchasePlan, campaign: string | null): void {
  const want = refAttribution(a.ledger.stored, p.contact_email, p.ms);
  if (want !== undefined) {
    expect(campaign, `${p.contact_email} at ${isoSec(p.ms)}`).toBe(want);
    a.checked++;
  }
  a.bought.push({ ms: p.ms, currency: p.currency, amount: p.amount, campaign });
  a.stream.marks.push(p.ms);
}

let svc: TestService;
const accounts: Account[] = [];
/** A fourth account whose events also cluster where the tested zones' buckets meet (from October 2025). */
let zoned: Account;

/** RFC 3339 of `ms` (whole seconds) written with a UTC offset of `min` minutes. */
function withOffset(ms: number, min: number): string {
  const local = new Date(ms + min * 60_000).toISOString().slice(0, 19);
  const sign = min < 0 ? "-" : "+";
  const a = Math.abs(min);
  return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

interface Range {
  query: string;
  from: number;
  to: number;
}

function q(from: number, to: number, rng: () => number): Range {
  const r = rng();
  const fmt = (ms: number) => (r < 0.25 ? withOffset(ms, pick(rng, [330, -300, 60, -570, 0])) : isoSec(ms));
  return { query: `from=${encodeURIComponent(fmt(from))}&to=${encodeURIComponent(fmt(to))}`, from, to };
}

/** 40 ranges: presets, single seconds on edge marks, ranges ending on marks, hour-aligned, random. */
function ranges(rng: () => number, s: Stream): Range[] {
  const today = Math.floor(CLOCK.getTime() / DAY) * DAY;
  const to = today + DAY - 1000;
  const out: Range[] = [7, 30, 90].map((d) => ({ query: `period=${d}d`, from: today - d * DAY, to }));
  out.push({ query: "from=2026-02-01&to=2026-02-28", from: at("2026-02-01T00:00:00Z"), to: at("2026-02-28T23:59:59Z") });
  const lo = at("2026-01-01T00:00:00Z");
  const span = CLOCK.getTime() + DAY - lo;
  const sec = (ms: number) => Math.floor(ms / 1000) * 1000;
  while (out.length < RANGES) {
    const kind = out.length % 6;
    const mark = sec(pick(rng, s.marks));
    if (kind === 0) out.push(q(mark, mark, rng)); // one second
    else if (kind === 1) out.push(q(mark, mark + int(rng, 0, 3) * HOUR + int(rng, 0, 3599) * 1000, rng));
    else if (kind === 2) {
      const f = Math.max(lo, mark - int(rng, 0, 40) * HOUR - int(rng, 0, 3599) * 1000);
      out.push(q(f, rng() < 0.5 ? mark : mark - 1000, rng));
    } else if (kind === 3) {
      const f = Math.floor((lo + rng() * span) / HOUR) * HOUR;
      out.push(q(f, Math.min(f + int(rng, 1, 200) * HOUR - 1000, lo + span), rng));
    } else {
      const f = sec(lo + rng() * span);
      const len = pick(rng, [0, int(rng, 1, 59) * 1000, int(rng, 1, 59) * 60_000, int(rng, 1, 30) * HOUR + 17_000, int(rng, 1, 60) * DAY + 3_599_000]);
      out.push(q(f, Math.min(f + len, lo + span), rng));
    }
  }
  return out;
}

beforeAll(async () => {
  svc = await startService({ now: CLOCK });
  const rng = mulberry32(SEED);
  for (let i = 0; i < 3; i++) {
    const { key } = await svc.newAccount();
    accounts.push({ key, stream: generate(rng, `a${i}`, 1.5), ledger: new Ledger(), bought: [], checked: 0 });
  }
  const zrng = mulberry32(SEED + 7);
  zoned = { key: (await svc.newAccount()).key, stream: generate(zrng, "z", 1, zoneMarks(zrng)), ledger: new Ledger(), bought: [], checked: 0 };
  // Each account's batches in order, every answer checked; the three accounts at once, so that
  // batches of different accounts are written together (FerretDB's group commit).
  const t0 = Date.now();
  await Promise.all(
    [...accounts, zoned].map(async (a) => {
      const half = Math.floor(a.stream.batches.length / 2);
      for (let b = 0; b < a.stream.batches.length; b++) {
        if (b === half) {
          // Campaigns registered halfway, after some of their events.
          for (const [id, reg] of a.stream.registered) {
            const r = await rest(svc, "PUT", `/api/v1/campaigns/${id}`, { key: a.key, body: reg });
            expect(r.status).toBe(200);
          }
        }
        const batch = a.stream.batches[b]!;
        const want = a.ledger.arrive(batch);
        expect(await post(svc, a.key, batch), `batch ${b}`).toEqual(want);
      }
    }),
  );
  console.log(`ingested ${[...accounts, zoned].map((a) => a.stream.batches.flat().length).join(" + ")} events in ${Date.now() - t0} ms`);
  // Purchases once every event is in (attribution reads the clicks stored by then), the three
  // accounts at once, so that purchases are written between other accounts' batches' turns.
  await Promise.all(
    accounts.map(async (a, i) => {
      const plans = purchases(mulberry32(SEED + 7 + i), `a${i}`, a.stream, 40);
      for (const p of plans) {
        const r = await buy(a, p);
        expect(r.duplicate).toBe(false);
        stored(a, p, r.attributed_campaign_id);
      }
      // An order id again, with another amount, currency and time: nothing changes.
      const first = plans.find((p) => p.order_id !== undefined)!;
      const again = await buy(a, { ...first, amount: "5000.55", currency: "GBP", ms: first.ms - DAY });
      expect(again).toMatchObject({ duplicate: true });
      // Six identical purchases on one new order id at once: stored and counted once, every
      // caller gets the same answer.
      const race = { ...plans[1]!, order_id: `a${i}-race` };
      const answers = await Promise.all(Array.from({ length: 6 }, () => buy(a, race)));
      expect(new Set(answers.map((x) => x.event_id)).size).toBe(1);
      expect(answers.filter((x) => !x.duplicate).length).toBe(1);
      stored(a, race, answers[0]!.attributed_campaign_id);
    }),
  );
}, 600_000);
afterAll(() => svc.close());

describe(`differential (seed ${SEED})`, () => {
  test("the generated streams exercise what they should", () => {
    for (const a of accounts) {
      const all = a.stream.batches.flat();
      expect(a.ledger.stored.length).toBeGreaterThan(700);
      expect(all.length - a.ledger.stored.length).toBeGreaterThan(20); // duplicates and retries
      expect(a.ledger.stored.some((e) => e.id === undefined)).toBe(true);
      expect(a.ledger.stored.some((e) => e.campaign_id === undefined)).toBe(true);
      expect(a.ledger.stored.some((e) => e.campaign_id === "")).toBe(true);
      // Out of order: some message's first open arrived after a later open of it.
      const firstSeen = new Map<string, number>();
      let moved = 0;
      for (const e of a.ledger.stored) {
        if (e.type !== "open") continue;
        const k = `${e.campaign_id ?? ""}|${e.contact_email.toLowerCase()}`;
        const prev = firstSeen.get(k);
        if (prev !== undefined && e.ms < prev) moved++;
        if (prev === undefined || e.ms < prev) firstSeen.set(k, e.ms);
      }
      expect(moved).toBeGreaterThan(5);
      // People and machines interleaved: some message's first human open came after a machine
      // open, and some first human open arrived after a later human open of the message.
      const machineFirst = new Map<string, number>();
      const humanSeen = new Map<string, number>();
      let humanMoved = 0;
      let machineBefore = 0;
      for (const e of a.ledger.stored) {
        if (e.type !== "open") continue;
        const k = `${e.campaign_id ?? ""}|${e.contact_email.toLowerCase()}`;
        if (e.machine) {
          machineFirst.set(k, Math.min(machineFirst.get(k) ?? Infinity, e.ms));
          continue;
        }
        const prev = humanSeen.get(k);
        if (prev !== undefined && e.ms < prev) humanMoved++;
        if (prev === undefined || e.ms < prev) humanSeen.set(k, e.ms);
      }
      for (const [k, ms] of humanSeen) if ((machineFirst.get(k) ?? Infinity) < ms) machineBefore++;
      expect(humanMoved).toBeGreaterThan(3);
      expect(machineBefore).toBeGreaterThan(5);
      expect(a.ledger.stored.some((e) => e.type === "click" && e.machine)).toBe(true);
      // Purchases: attributed and not, several currencies, a free one, awkward decimals.
      expect(a.bought.filter((p) => p.campaign !== null).length).toBeGreaterThan(5);
      expect(a.bought.filter((p) => p.campaign === null).length).toBeGreaterThan(3);
      expect(new Set(a.bought.map((p) => p.currency)).size).toBeGreaterThan(2);
      expect(a.checked).toBeGreaterThan(30);
    }
  });

  test.each([0, 1, 2])(`account %i: ${RANGES} overview ranges equal the reference`, async (i) => {
    const a = accounts[i]!;
    const rs = ranges(mulberry32(SEED + 100 + i), a.stream);
    expect(rs.length).toBe(RANGES);
    const got = await limit(4, rs.map((r) => () => rest(svc, "GET", `/api/v1/analytics/overview?${r.query}`, { key: a.key })));
    let nonEmpty = 0;
    rs.forEach((r, j) => {
      const want = { success: true, period: { from: isoSec(r.from), to: isoSec(r.to) }, metrics: refOverview(a.ledger.stored, r.from, r.to, a.bought) };
      expect(got[j]!.body, r.query).toStrictEqual(want);
      if (want.metrics.sends + want.metrics.opens + want.metrics.clicks > 0) nonEmpty++;
    });
    expect(nonEmpty).toBeGreaterThan(RANGES / 2);
  });

  test.each([0, 1, 2])("account %i: every campaign equals the reference; other accounts' campaigns are 404", async (i) => {
    const a = accounts[i]!;
    for (const id of a.stream.campaigns) {
      const r = await rest(svc, "GET", `/api/v1/analytics/campaigns/${id}`, { key: a.key });
      expect(r.status, id).toBe(200);
      expect(r.body, id).toStrictEqual(refCampaign(a.ledger.stored, id, a.stream.registered.get(id), a.bought));
    }
    const long = await rest(svc, "GET", `/api/v1/analytics/campaigns/long`, { key: a.key });
    expect(long.body.timeline.length).toBe(720); // opens run past 720 hours after the send
    for (const other of accounts) {
      for (const id of other.stream.campaigns) {
        if (a.stream.campaigns.includes(id)) continue;
        const r = await rest(svc, "GET", `/api/v1/analytics/campaigns/${id}`, { key: a.key });
        expect(r.status, id).toBe(404);
        expect(r.body).toMatchObject({ success: false, error: { code: "not_found" } });
      }
    }
  });

  test("the whole-history overview of each account sums its stored events", async () => {
    for (const a of accounts) {
      const r = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-01-01&to=2026-04-07", { key: a.key });
      const want = refOverview(a.ledger.stored, at("2026-01-01T00:00:00Z"), at("2026-04-07T23:59:59Z"), a.bought);
      expect(r.body.metrics).toStrictEqual(want);
      const count = (t: Ev["type"]) => a.ledger.stored.filter((e) => e.type === t).length;
      expect(r.body.metrics.sends).toBe(count("send"));
      expect(r.body.metrics.opens).toBe(count("open"));
    }
  });
});

/** The list's order, and each entry, as the reference computes them. */
function refList(a: Account, status?: string) {
  const ids = new Set([...a.stream.campaigns, ...a.stream.registered.keys()]);
  const entries = [...ids].map((id) => {
    const reg = a.stream.registered.get(id);
    const { n, firstSend, uniques, conversions } = refCampaignCounts(a.ledger.stored, id, a.bought);
    const campaign = refCampaignBlock(id, reg, firstSend);
    return {
      sentAt: campaign.sent_at === null ? null : at(campaign.sent_at),
      entry: {
        campaign,
        metrics: {
          total_sent: n.send!,
          total_delivered: n.delivered!,
          unique_opens: uniques.open,
          unique_clicks: uniques.click,
          open_rate: refRate(n.open!, n.send!),
          click_rate: refRate(n.click!, n.send!),
          bounce_rate: refRate(n.bounce!, n.send!),
          conversions: conversions.length,
          revenue: refRevenue(conversions),
          ...refHuman(n, uniques),
          conversion_rate: refRate(conversions.length, n.send!),
        },
      },
    };
  });
  return entries
    .filter((e) => status === undefined || e.entry.campaign.status === status)
    .sort((x, y) => {
      if (x.sentAt !== y.sentAt) return x.sentAt === null ? -1 : y.sentAt === null ? 1 : y.sentAt - x.sentAt;
      return x.entry.campaign.id < y.entry.campaign.id ? -1 : 1;
    })
    .map((e) => e.entry);
}

/** Every page of GET /api/v1/analytics/campaigns, following the tokens. */
async function allPages(a: Account, query: string) {
  const out: unknown[] = [];
  let token = "";
  for (let pages = 0; pages < 50; pages++) {
    const r = await rest(svc, "GET", `/api/v1/analytics/campaigns?${query}${token ? `&page_token=${encodeURIComponent(token)}` : ""}`, { key: a.key });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(Object.keys(r.body)).toEqual(["success", "campaigns", "next_page_token"]);
    out.push(...r.body.campaigns);
    token = r.body.next_page_token;
    if (token === "") return out;
  }
  throw new Error("more than 50 pages");
}

describe("campaign list and links", () => {
  test.each([0, 1, 2])("account %i: the list, paged by 1, 2 and the default, and filtered by status, equals the reference", async (i) => {
    const a = accounts[i]!;
    const all = refList(a);
    expect(all.length).toBe(new Set([...a.stream.campaigns, ...a.stream.registered.keys()]).size);
    for (const size of [1, 2, 3]) expect(await allPages(a, `page_size=${size}`), `page_size=${size}`).toStrictEqual(all);
    const first = await rest(svc, "GET", "/api/v1/analytics/campaigns", { key: a.key });
    expect(first.body).toStrictEqual({ success: true, campaigns: all, next_page_token: "" });
    for (const status of ["draft", "scheduled", "sending", "sent", "unknown", "cancelled"]) {
      expect(await allPages(a, `status=${status}&page_size=2`), status).toStrictEqual(refList(a, status));
    }
  });

  test.each([0, 1, 2])("account %i: every campaign's links equal the reference", async (i) => {
    const a = accounts[i]!;
    for (const id of [...a.stream.campaigns, ...a.stream.registered.keys()]) {
      const clicks = a.ledger.stored.filter((e) => e.type === "click" && e.campaign_id === id && e.url);
      const byUrl = new Map<string, { clicks: number; who: Set<string> }>();
      for (const e of clicks) {
        const l = byUrl.get(e.url!) ?? { clicks: 0, who: new Set<string>() };
        l.clicks++;
        l.who.add(e.contact_email.toLowerCase());
        byUrl.set(e.url!, l);
      }
      const links = [...byUrl]
        .map(([url, l]) => ({ url, clicks: l.clicks, unique_clicks: l.who.size }))
        .sort((x, y) => y.clicks - x.clicks || Buffer.compare(Buffer.from(x.url), Buffer.from(y.url)));
      const r = await rest(svc, "GET", `/api/v1/analytics/campaigns/${id}/links`, { key: a.key });
      const { n, firstSend } = refCampaignCounts(a.ledger.stored, id);
      expect(n.click).toBeGreaterThanOrEqual(clicks.length);
      expect(r.body, id).toStrictEqual({ success: true, campaign: refCampaignBlock(id, a.stream.registered.get(id), firstSend), links, total_links: links.length });
    }
  });
});

const ZONES = ["UTC", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu"];
const INTERVALS: Interval[] = ["hour", "day", "week", "month"];

/** The longest random range per interval (hourly ones stay well under 1,000 buckets). */
const SPAN: Record<Interval, number> = { hour: 5 * DAY, day: 120 * DAY, week: 366 * DAY - 1000, month: 366 * DAY - 1000 };

/** Random ranges cut at arbitrary seconds, half of them starting at one of the stream's marks. */
function seriesRanges(rng: () => number, s: Stream, interval: Interval, n: number): { from: number; to: number }[] {
  const lo = at("2025-10-20T00:00:00Z");
  const hi = CLOCK.getTime() + DAY;
  const sec = (ms: number) => Math.floor(ms / 1000) * 1000;
  return Array.from({ length: n }, (_, i) => {
    const from = i % 2 === 0 ? sec(pick(rng, s.marks) - rng() * HOUR) : sec(lo + rng() * (hi - lo));
    return { from, to: Math.min(hi, sec(from + rng() * SPAN[interval])) };
  });
}

const seriesPath = (q: string) => `/api/v1/analytics/timeseries?${q}`;
const bounds = (from: number, to: number) => `from=${encodeURIComponent(isoSec(from))}&to=${encodeURIComponent(isoSec(to))}`;

describe(`time series (seed ${SEED})`, () => {
  test.each([0, 1, 2, 3])("account %i: random ranges, every zone and interval, equal the reference", async (i) => {
    const a = i < 3 ? accounts[i]! : zoned;
    const rng = mulberry32(SEED + 200 + i);
    const cases: { zone: string; interval: Interval; from: number; to: number }[] = [];
    for (const zone of ZONES) {
      for (const interval of INTERVALS) {
        for (const r of seriesRanges(rng, a.stream, interval, 2)) cases.push({ zone, interval, ...r });
      }
    }
    const got = await limit(4, cases.map((c) => () =>
      rest(svc, "GET", seriesPath(`interval=${c.interval}&time_zone=${encodeURIComponent(c.zone)}&${bounds(c.from, c.to)}`), { key: a.key })));
    let buckets = 0;
    cases.forEach((c, j) => {
      const want = refTimeSeries(a.ledger.stored, c.from, c.to, c.interval, c.zone, a.bought);
      expect(got[j]!.body, JSON.stringify(c)).toStrictEqual(want);
      buckets += want.buckets.length;
    });
    expect(buckets).toBeGreaterThan(100);
  });

  test("Europe/Berlin across both DST changes: hours of 23- and 25-hour days, and the days themselves", async () => {
    const a = zoned;
    const cases: [Interval, string, string][] = [
      ["hour", "2025-10-25T20:17:05Z", "2025-10-26T05:42:59Z"], // 02:00 local twice
      ["hour", "2026-03-28T21:00:01Z", "2026-03-29T04:00:00Z"], // 02:00 local never
      ["day", "2025-10-20T00:00:00Z", "2025-11-02T12:34:56Z"],
      ["day", "2026-03-22T05:06:07Z", "2026-04-04T22:59:59Z"],
      ["week", "2025-10-20T00:00:00Z", "2026-04-06T23:59:59Z"],
      ["month", "2025-10-20T00:00:00Z", "2026-04-06T23:59:59Z"],
    ];
    for (const [interval, from, to] of cases) {
      const r = await rest(svc, "GET", seriesPath(`interval=${interval}&time_zone=Europe/Berlin&${bounds(at(from), at(to))}`), { key: a.key });
      const want = refTimeSeries(a.ledger.stored, at(from), at(to), interval, "Europe/Berlin", a.bought);
      expect(r.body, `${interval} ${from}`).toStrictEqual(want);
    }
    const days = await rest(svc, "GET", seriesPath("interval=day&time_zone=Europe/Berlin&from=2025-10-25&to=2025-10-27"), { key: a.key });
    expect(days.body.buckets.map((b: { start: string }) => b.start)).toEqual(["2025-10-25T00:00:00+02:00", "2025-10-26T00:00:00+02:00", "2025-10-27T00:00:00+01:00"]);
    const spring = await rest(svc, "GET", seriesPath("interval=hour&time_zone=Europe/Berlin&from=2026-03-29&to=2026-03-29"), { key: a.key });
    expect(spring.body.buckets).toHaveLength(23);
    const autumn = await rest(svc, "GET", seriesPath("interval=hour&time_zone=Europe/Berlin&from=2025-10-26&to=2025-10-26"), { key: a.key });
    expect(autumn.body.buckets).toHaveLength(25);
    expect(autumn.body.buckets.slice(2, 4).map((b: { start: string }) => b.start)).toEqual(["2025-10-26T02:00:00+02:00", "2025-10-26T02:00:00+01:00"]);
  });

  test.each(ZONES)("presets and bare dates read in %s, for the overview and the time series", async (zone) => {
    const a = zoned;
    const today = local(CLOCK.getTime(), zone);
    const midnight = (back: number) => localMidnight(today.y, today.mo, today.d - back, zone);
    const to = midnight(-1) - 1000;
    for (const [days, period] of [[7, "7d"], [30, "30d"], [90, "90d"]] as const) {
      const ov = await rest(svc, "GET", `/api/v1/analytics/overview?period=${period}&time_zone=${encodeURIComponent(zone)}`, { key: a.key });
      const from = midnight(days);
      expect(ov.body, `${zone} ${period}`).toStrictEqual({ success: true, period: { from: isoSec(from), to: isoSec(to) }, metrics: refOverview(a.ledger.stored, from, to) });
    }
    const ts = await rest(svc, "GET", seriesPath(`period=30d&time_zone=${encodeURIComponent(zone)}`), { key: a.key });
    expect(ts.body).toStrictEqual(refTimeSeries(a.ledger.stored, midnight(30), to, "day", zone, a.bought));
    const from = localMidnight(2026, 2, 1, zone);
    const end = localMidnight(2026, 4, 1, zone) - 1000;
    const bare = await rest(svc, "GET", `/api/v1/analytics/overview?from=2026-02-01&to=2026-03-31&time_zone=${encodeURIComponent(zone)}`, { key: a.key });
    expect(bare.body).toStrictEqual({ success: true, period: { from: isoSec(from), to: isoSec(end) }, metrics: refOverview(a.ledger.stored, from, end) });
    const monthly = await rest(svc, "GET", seriesPath(`interval=month&from=2026-02-01&to=2026-03-31&time_zone=${encodeURIComponent(zone)}`), { key: a.key });
    expect(monthly.body).toStrictEqual(refTimeSeries(a.ledger.stored, from, end, "month", zone, a.bought));
    // The buckets' uniques sum to the range's.
    const sum = (k: string) => monthly.body.buckets.reduce((n: number, b: { metrics: Record<string, number> }) => n + b.metrics[k]!, 0);
    expect(sum("unique_opens")).toBe(bare.body.metrics.unique_opens);
    expect(sum("unique_clicks")).toBe(bare.body.metrics.unique_clicks);
  });
});
