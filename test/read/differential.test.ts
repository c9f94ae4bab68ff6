// The differential test: seeded random event streams over three accounts, replayed over REST with
// duplicates, retries and out-of-order arrival; every overview (random ranges, hour-aligned or
// not, single seconds, presets) and every campaign must equal a plain reference computation.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rest, startService, type TestService } from "../helpers/service.js";
import { CLOCK, generate, type Stream } from "./generator.js";
import { DAY, HOUR, Ledger, at, int, isoSec, limit, mulberry32, pick, post, refCampaign, refOverview, type Ev } from "./lib.js";

const SEED = Number(process.env.DIFF_SEED ?? 0x5eed1);
const RANGES = 40;

interface Account {
  key: string;
  stream: Stream;
  ledger: Ledger;
}

let svc: TestService;
const accounts: Account[] = [];

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
    accounts.push({ key, stream: generate(rng, `a${i}`, 1.5), ledger: new Ledger() });
  }
  // Each account's batches in order, every answer checked; the three accounts at once, so that
  // batches of different accounts are written together (FerretDB's group commit).
  const t0 = Date.now();
  await Promise.all(
    accounts.map(async (a) => {
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
  console.log(`ingested ${accounts.map((a) => a.stream.batches.flat().length).join(" + ")} events in ${Date.now() - t0} ms`);
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
    }
  });

  test.each([0, 1, 2])(`account %i: ${RANGES} overview ranges equal the reference`, async (i) => {
    const a = accounts[i]!;
    const rs = ranges(mulberry32(SEED + 100 + i), a.stream);
    expect(rs.length).toBe(RANGES);
    const got = await limit(4, rs.map((r) => () => rest(svc, "GET", `/api/v1/analytics/overview?${r.query}`, { key: a.key })));
    let nonEmpty = 0;
    rs.forEach((r, j) => {
      const want = { success: true, period: { from: isoSec(r.from), to: isoSec(r.to) }, metrics: refOverview(a.ledger.stored, r.from, r.to) };
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
      expect(r.body, id).toStrictEqual(refCampaign(a.ledger.stored, id, a.stream.registered.get(id)));
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
      const want = refOverview(a.ledger.stored, at("2026-01-01T00:00:00Z"), at("2026-04-07T23:59:59Z"));
      expect(r.body.metrics).toStrictEqual(want);
      const count = (t: Ev["type"]) => a.ledger.stored.filter((e) => e.type === t).length;
      expect(r.body.metrics.sends).toBe(count("send"));
      expect(r.body.metrics.opens).toBe(count("open"));
    }
  });
});
