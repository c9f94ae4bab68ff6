// Migrations 9, 10 and 11 fold an older build's packed documents in place, in bulks: every due
// document folded (into a grid where its collection folds to grids, into the dense text of
// second-counts.ts for an hour's seconds), every read the same before and after, nothing due
// left, and a second run changes nothing. More documents than a bulk, so the pages are exercised.
import { afterAll, beforeAll, expect, test } from "vitest";
import { m009 } from "../../src/storage/migrations/009-fold-packed.js";
import { m010 } from "../../src/storage/migrations/010-hour-grids.js";
import { m011 } from "../../src/storage/migrations/011-dense-seconds.js";
import { foldDue } from "../../src/storage/packed-counts.js";
import { DAY_HOURS_GRID } from "../../src/storage/rollups.js";
import { SECONDS_FORM } from "../../src/storage/second-counts.js";
import { startService, type TestService } from "../helpers/service.js";

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(() => svc.close());

const DAY = Date.UTC(2026, 2, 1);
const HOUR = 3_600_000;
const KINDS = ["send", "open", "uopen", "click"] as const;
/** A packed document as an older build wrote it (no fold count yet). */
type Legacy = { _id: string; a: string; p: string[]; g?: number; h?: Date; d?: Date };

test("older packed documents fold in bulks; reads unchanged; a second run folds nothing", async () => {
  const store = svc.store;
  const docs = 3 * store.caps.bulkMax + 7;
  const seconds = store.db.collection<Legacy>("account_hour_seconds");
  const dayHours = store.db.collection<Legacy>("account_day_hours");
  // As version 8 wrote them: an hour's seconds a chunk per write and no `g`; a day's hours in
  // `kindHH:n` chunks, not yet a grid.
  let n = 1;
  for (let i = 0; i < docs; i++) {
    const hour = DAY + i * HOUR;
    const chunks = Array.from({ length: 1 + (i % 5) }, (_, j) => KINDS.map((k) => `${k}:${(j * 97 + i) % 3600}:${n++ % 7 || 1}`).join(","));
    await seconds.insertOne({ _id: `acct_f|${new Date(hour).toISOString().slice(0, 13)}`, a: "acct_f", h: new Date(hour), p: chunks });
  }
  for (let d = 0; d < docs; d++) {
    const day = DAY + d * 24 * HOUR;
    const chunks = Array.from({ length: 1 + (d % 3) }, (_, j) => KINDS.map((k) => `${k}${String((d + j * 5) % 24).padStart(2, "0")}:${(n++ % 9) + 1}`).join(","));
    await dayHours.insertOne({ _id: `acct_f|${new Date(day).toISOString().slice(0, 10)}`, a: "acct_f", d: new Date(day), p: chunks });
  }
  // Every hour's first 20 minutes and last second, every day's hours 3..20.
  const secondRanges = Array.from({ length: docs }, (_, i) => [DAY + i * HOUR, DAY + i * HOUR + 1_200_000] as const);
  const lastSeconds = Array.from({ length: docs }, (_, i) => [DAY + (i + 1) * HOUR - 1000, DAY + (i + 1) * HOUR] as const);
  const hourRanges = Array.from({ length: docs }, (_, d) => [DAY + d * 24 * HOUR + 3 * HOUR, DAY + d * 24 * HOUR + 21 * HOUR] as const);
  const reads = async () => [
    await store.rollups.sumSecondRanges("acct_f", secondRanges),
    await store.rollups.sumSecondRanges("acct_f", lastSeconds),
    await store.rollups.sumHourRanges("acct_f", hourRanges),
  ];
  const before = await reads();
  expect(before[0]!.some((c) => c.send > 0)).toBe(true);

  await m009.run(store, async () => undefined);
  await m010.run(store, async () => undefined);
  expect(await reads()).toEqual(before);
  const foldedSeconds = await seconds.find({ a: "acct_f" }).toArray();
  expect(foldedSeconds).toHaveLength(docs);
  for (const d of foldedSeconds) expect(d.p.length === 1 && !foldDue(d)).toBe(true);
  const foldedDays = await dayHours.find({ a: "acct_f" }).toArray();
  // One chunk, and a grid (foldDue with the grid says a lone chunk that is not a grid is due).
  for (const d of foldedDays) expect(d.p.length === 1 && !foldDue(d, DAY_HOURS_GRID)).toBe(true);

  // Nothing is due any more: a second run writes nothing (the fold counts stay as they are).
  const counts = async () => [...(await seconds.find({ a: "acct_f" }).toArray()), ...(await dayHours.find({ a: "acct_f" }).toArray())].map((d) => d.g);
  const g = await counts();
  await m009.run(store, async () => undefined);
  await m010.run(store, async () => undefined);
  expect(await counts()).toEqual(g);
  expect(await reads()).toEqual(before);
}, 120_000);

test("version 10's hour seconds (`key:second:n`, folded or not) become the dense text in bulks; reads unchanged; a second run writes nothing", async () => {
  const store = svc.store;
  const docs = 2 * store.caps.bulkMax + 5;
  const seconds = store.db.collection<Legacy>("account_hour_seconds");
  // As version 10 left them: most folded into one `key:second:n` chunk (`g` ≥ 1), some with
  // chunks appended since; negative entries (first opens that moved) and a money sum past 2^53.
  let n = 1;
  for (let i = 0; i < docs; i++) {
    const hour = DAY + i * HOUR;
    const chunks = Array.from({ length: i % 4 === 0 ? 3 : 1 }, (_, j) =>
      KINDS.map((k) => `${k}:${(j * 131 + i * 7) % 3600}:${n++ % 5 || -1}`).join(",") + (i % 9 === 0 ? `,rev_USD_n:${(j * 17) % 3600}:9007199254740993` : ""),
    );
    await seconds.insertOne({ _id: `acct_s|${new Date(hour).toISOString().slice(0, 13)}`, a: "acct_s", h: new Date(hour), p: chunks, g: i % 4 === 0 ? 2 : 1 });
  }
  // Each hour's first 20 minutes, its last second, and the whole hour.
  const ranges = (from: number, to: number) => Array.from({ length: docs }, (_, i) => [DAY + i * HOUR + from, DAY + i * HOUR + to] as const);
  const reads = async () => [
    await store.rollups.sumSecondRanges("acct_s", ranges(0, 1_200_000)),
    await store.rollups.sumSecondRanges("acct_s", ranges(HOUR - 1000, HOUR)),
    await store.rollups.sumSecondRanges("acct_s", ranges(0, HOUR)),
  ];
  const before = await reads();
  expect(before[2]!.some((c) => c.open > 0)).toBe(true);
  expect(before[2]!.some((c) => typeof c.rev_USD_n === "bigint")).toBe(true);

  await m011.run(store, async () => undefined);
  expect(await reads()).toEqual(before);
  const folded = await seconds.find({ a: "acct_s" }).toArray();
  expect(folded).toHaveLength(docs);
  for (const d of folded) expect(d.p.length === 1 && SECONDS_FORM.isFolded(d.p[0]!) && !foldDue(d, SECONDS_FORM)).toBe(true);

  const g = folded.map((d) => d.g);
  await m011.run(store, async () => undefined);
  expect((await seconds.find({ a: "acct_s" }).toArray()).map((d) => d.g)).toEqual(g);
  expect(await reads()).toEqual(before);
}, 120_000);
