// Counters packed in strings (src/storage/packed-counts.ts): the chunks sum exactly, a fold
// replaces only the chunks it read, and reads stay exact after the writer has folded the
// documents many times over.
import { afterAll, beforeAll, expect, test } from "vitest";
import { fold, foldRead, pack, packGrid, unpack, unpackBySuffix, type Count, type PackedDoc } from "../../src/storage/packed-counts.js";
import { COMPACT_EVERY } from "../../src/storage/packed-counts.js";
import { rest, startService, type TestService } from "../helpers/service.js";
import { CLOCK } from "./generator.js";
import { Ledger, at, chunk, isoSec, post, refCampaign, refOverview, refTimeSeries, type Ev } from "./lib.js";

let svc: TestService;
beforeAll(async () => {
  // Each batch counted before its 200, so that each is one append of its own: the folds below
  // count appends (with a count delay, batches answered together are one).
  svc = await startService({ now: CLOCK, countDelayMs: 0 });
});
afterAll(() => svc.close());

test("pack and unpack: sums by key, negatives and zeros, keys with digits and underscores", () => {
  expect(pack([["open07", 3], ["send07", 0], ["rev_USD_n07", -999_999_999]])).toBe("open07:3,rev_USD_n07:-999999999");
  expect(pack([])).toBe("");
  const sums = unpack(["open07:3,uopen07:1", "", "open07:2,uopen07:-1,click23:900719925474"]);
  expect([...sums]).toEqual([["open07", 5], ["click23", 900719925474]]);
  // Past 2^53 (money nanos of millions of purchases) the sums stay exact, as BigInt.
  const big = unpack(["rev_USD_n07:9007199254740991", "rev_USD_n07:999999999", pack([["rev_USD_n07", 12345678901234567890n]])]);
  expect(big.get("rev_USD_n07")).toBe(9007199254740991n + 999999999n + 12345678901234567890n);
  expect(() => pack([["x", 0.5]])).toThrow(/safe integer/);
});

test("unpackBySuffix: the sums of unpack split by index, for days of hours and hours of quarters", () => {
  // Reference: unpack's sums by whole key, then each key cut into counter and index.
  const reference = (chunks: string[], digits: number, n: number) => {
    const out: Record<string, Count>[] = Array.from({ length: n }, () => ({}));
    for (const [k, v] of unpack(chunks)) {
      const slot = out[Number(k.slice(-digits))]!;
      const name = k.slice(0, -digits);
      slot[name] = typeof v === "bigint" || typeof slot[name] === "bigint" ? BigInt(slot[name] ?? 0) + BigInt(v) : ((slot[name] as number | undefined) ?? 0) + v;
    }
    return out;
  };
  let seed = 7;
  const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  const names = ["open", "uopen", "hclick", "rev_USD_n", "conversion"];
  for (const [digits, n] of [[2, 24], [1, 4]] as const) {
    for (let round = 0; round < 50; round++) {
      const chunks = Array.from({ length: 1 + Math.floor(rnd() * 5) }, () =>
        (rnd() < 0.3 ? (c: string) => packGrid(unpackBySuffix([c], digits, n)) : (c: string) => c)(pack(
          Array.from({ length: Math.floor(rnd() * 40) }, (): [string, Count] => {
            const i = String(Math.floor(rnd() * n)).padStart(digits, "0");
            // Negatives (a first open moved away), zeros after summing, and sums past 2^53.
            const v = rnd() < 0.05 ? 9_007_199_254_740_000n + BigInt(Math.floor(rnd() * 1e6)) : Math.floor(rnd() * 200) - 20;
            return [`${names[Math.floor(rnd() * names.length)]}${i}`, v];
          }),
        )),
      );
      expect(unpackBySuffix(chunks, digits, n)).toEqual(reference(chunks, digits, n));
    }
  }
  expect(unpackBySuffix(["open07:3,uopen07:1", "", "open07:-3"], 2, 24)[7]).toEqual({ uopen: 1 });
});

test("grids (a fold's form of counters by index): one entry per counter, values by index, read back by unpack and unpackBySuffix alike", () => {
  const slots: Record<string, Count>[] = [{ open: 3 }, {}, { open: 12, uopen: -1 }, { rev_USD_n: 12345678901234567890n }];
  const grid = packGrid(slots);
  expect(grid).toBe("open=3..12.,uopen=..-1.,rev_USD_n=...12345678901234567890");
  expect(unpackBySuffix([grid], 1, 4)).toEqual(slots);
  expect([...unpack([grid])]).toEqual([["open0", 3], ["open2", 12], ["uopen2", -1], ["rev_USD_n3", 12345678901234567890n]]);
  // A grid beside appended chunks: summed with them, a 24-value grid's keys two digits wide.
  const day = packGrid(Array.from({ length: 24 }, (_, h): Record<string, Count> => (h === 7 ? { open: 5 } : h === 23 ? { click: 1 } : {})));
  expect(unpackBySuffix([day, "open07:-5,send23:2"], 2, 24)[23]).toEqual({ click: 1, send: 2 });
  expect(unpackBySuffix([day, "open07:-5"], 2, 24)[7]).toEqual({});
  expect([...unpack([day, "open07:1"])]).toEqual([["open07", 6], ["click23", 1]]);
  expect(packGrid([{}, { open: 0 }])).toBe("");
});

test("a fold replaces the chunks it read and nothing appended after the read", async () => {
  const col = svc.store.db.collection<PackedDoc>("test_packed_fold");
  await col.deleteMany({});
  await col.insertOne({ _id: "d", a: "x", p: ["open1:1", "open1:2"], g: 0 });
  const stale = (await col.findOne({ _id: "d" }))!;
  await col.updateOne({ _id: "d" }, { $push: { p: "open1:4" } });
  // Folding what was read before the append would lose the append: it must not apply.
  expect(await foldRead(col, stale)).toBe(false);
  expect((await col.findOne({ _id: "d" }))!.p).toEqual(["open1:1", "open1:2", "open1:4"]);
  expect(await fold(col, "d")).toBe(true);
  expect(await col.findOne({ _id: "d" })).toEqual({ _id: "d", a: "x", p: ["open1:7"], g: 1 });
  // A read from before that fold does not apply either, though the number of chunks matches again.
  await col.updateOne({ _id: "d" }, { $push: { p: "open1:8" } });
  await col.updateOne({ _id: "d" }, { $push: { p: "open1:16" } });
  expect(await foldRead(col, stale)).toBe(false);
  expect([...unpack((await col.findOne({ _id: "d" }))!.p)]).toEqual([["open1", 31]]);
});

test("an hour's seconds written before folds existed (no `g`) fold like the others, exactly", async () => {
  const col = svc.store.db.collection<PackedDoc>("test_packed_fold_legacy");
  await col.deleteMany({});
  // As `account_hour_seconds` was written until then: one `key:second:n` chunk per write, no `g`.
  await col.insertOne({ _id: "h", a: "x", p: ["open:75:2,uopen:75:1", "open:75:1,send:3599:4", "uopen:75:-1,open:0:1"] } as unknown as PackedDoc);
  expect(await fold(col, "h")).toBe(true);
  const folded = (await col.findOne({ _id: "h" }))!;
  expect(folded.g).toBe(1);
  expect(folded.p).toHaveLength(1);
  expect([...unpack(folded.p)].sort()).toEqual([["open:0", 1], ["open:75", 3], ["send:3599", 4]]);
  // A stale read of the unfolded document no longer applies.
  expect(await foldRead(col, { _id: "h", a: "x", p: ["a:1:1", "a:1:1", "a:1:1"] } as unknown as PackedDoc)).toBe(false);
});

test(`many small batches into one day and one campaign: documents folded every ${COMPACT_EVERY} appends, reads exact`, async () => {
  const { account, key } = await svc.newAccount();
  const ledger = new Ledger();
  // 2026-03-20 in Asia/Kolkata: 18:30Z boundaries, so the series reads quarters as well.
  const t0 = at("2026-03-20T17:00:00Z");
  const events: Ev[] = [];
  for (let i = 0; i < 120; i++) {
    const ms = t0 + i * 97_000 + (i % 7) * 1000;
    const email = `p${i % 30}@fold.example`;
    events.push({ id: `f${i}`, type: i < 30 ? "send" : i % 3 ? "open" : "click", contact_email: email, ms, campaign_id: "fold", ...(i >= 30 && i % 5 === 0 ? { machine: true } : {}) } as Ev);
  }
  // Late earlier opens move first opens back (negative entries in later chunks).
  for (let i = 0; i < 10; i++) events.push({ id: `late${i}`, type: "open", contact_email: `p${i}@fold.example`, ms: t0 + 3600_000 + i * 1000, campaign_id: "fold" } as Ev);
  for (const batch of chunk(events, 2)) expect(await post(svc, key, batch)).toEqual(ledger.arrive(batch));

  const hours = await svc.store.db.collection<PackedDoc>("account_day_hours").find({ a: account }).toArray();
  const quarters = await svc.store.db.collection<PackedDoc>("account_hour_quarters").find({ a: account }).toArray();
  const stats = await svc.store.db.collection<PackedDoc>("campaign_stats").find({ a: account }).toArray();
  const seconds = await svc.store.db.collection<PackedDoc>("account_hour_seconds").find({ a: account }).toArray();
  for (const docs of [hours, quarters, stats, seconds]) {
    expect(Math.max(...docs.map((d) => d.g))).toBeGreaterThanOrEqual(1);
    for (const d of docs) expect(d.p.length).toBeLessThanOrEqual(COMPACT_EVERY);
  }

  const from = at("2026-03-19T00:00:00Z");
  const to = at("2026-03-21T23:59:59Z");
  for (const [f, t] of [[from, to], [t0 + 1234_000, t0 + 5432_000], [at("2026-03-20T18:30:00Z"), at("2026-03-20T19:14:59Z")]] as const) {
    const r = await rest(svc, "GET", `/api/v1/analytics/overview?from=${isoSec(f)}&to=${isoSec(t)}`, { key });
    expect(r.body).toStrictEqual({ success: true, period: { from: isoSec(f), to: isoSec(t) }, metrics: refOverview(ledger.stored, f, t) });
  }
  for (const [interval, zone] of [["hour", "Asia/Kolkata"], ["day", "Asia/Kolkata"], ["hour", "Europe/Berlin"]] as const) {
    const q = `interval=${interval}&time_zone=${encodeURIComponent(zone)}&from=${isoSec(from)}&to=${isoSec(to)}`;
    const r = await rest(svc, "GET", `/api/v1/analytics/timeseries?${q}`, { key });
    expect(r.body).toStrictEqual(refTimeSeries(ledger.stored, from, to, interval, zone));
  }
  expect((await rest(svc, "GET", "/api/v1/analytics/campaigns/fold", { key })).body).toStrictEqual(refCampaign(ledger.stored, "fold"));
});
