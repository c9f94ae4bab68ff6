// RollupStore.apply's writes, as the database sees them: a document is inserted the first time
// and incremented in place after that, with no update tried on a document that does not exist.
import { randomBytes } from "node:crypto";
import { MongoClient, type CommandStartedEvent, type Db } from "mongodb";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { detectCapabilities, type Capabilities } from "../../src/storage/capabilities.js";
import { RollupStore, type CampaignDelta, type HourDelta } from "../../src/storage/rollups.js";
import { tile } from "../../src/storage/day-spans.js";
import { m003 } from "../../src/storage/migrations/003-day-spans.js";
import { m004 } from "../../src/storage/migrations/004-hour-quarters.js";
import { m008 } from "../../src/storage/migrations/008-packed-counters.js";
import { m009 } from "../../src/storage/migrations/009-fold-packed.js";
import { m010 } from "../../src/storage/migrations/010-hour-grids.js";
import type { Store } from "../../src/storage/store.js";
import { zeroCounts } from "../../src/storage/types.js";

let client: MongoClient;
let db: Db;
let rollups: RollupStore;
let caps: Capabilities;
const commands: { name: string; collection: unknown; statements: number }[] = [];

beforeAll(async () => {
  client = new MongoClient(inject("mongoUri"), { monitorCommands: true });
  await client.connect();
  db = client.db(`t_${randomBytes(6).toString("hex")}`);
  caps = await detectCapabilities(db);
  // The insert-first form, whatever the database (the upsert form has its own test below).
  rollups = new RollupStore(db, { ...caps, counterWrites: "insert-first" });
  await rollups.ensureIndexes(caps);
  client.on("commandStarted", (e: CommandStartedEvent) => {
    const statements = (e.command.documents ?? e.command.updates ?? []) as unknown[];
    if (e.commandName === "insert" || e.commandName === "update") commands.push({ name: e.commandName, collection: e.command[e.commandName], statements: statements.length });
  });
});
afterAll(async () => {
  await db.dropDatabase().catch(() => undefined);
  await client.close();
});

const DAY1 = Date.UTC(2026, 2, 10);
const DAY2 = Date.UTC(2026, 2, 11);
const HOUR = 3_600_000;

/** Commands sent since the last call, by command and collection (with `statements`: the documents they wrote). */
function writes(statements = false): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of commands.splice(0)) out[`${c.name} ${String(c.collection)}`] = (out[`${c.name} ${String(c.collection)}`] ?? 0) + (statements ? c.statements : 1);
  return out;
}

function batch(sends: number): { hours: HourDelta[]; campaigns: CampaignDelta[] } {
  return {
    hours: [
      {
        hour: new Date(DAY1 + 9 * HOUR),
        counts: { send: sends, open: 1 },
        seconds: [
          { second: 0, key: "send", n: sends - 1 },
          { second: 3599, key: "send", n: 1 },
          { second: 10, key: "open", n: 1 },
        ],
      },
      { hour: new Date(DAY2 + 23 * HOUR), counts: { send: sends }, seconds: [{ second: 1800, key: "send", n: sends }] },
    ],
    campaigns: [{ campaignId: "camp_a", counts: { send: 2 * sends, open: 1 }, firstSend: new Date(DAY1 + 9 * HOUR), timeline: new Map([[(DAY1 + 9 * HOUR) / HOUR, { o: 1, c: 0 }]]) }],
  };
}

test("apply inserts new day, day-hour, hour-second and campaign documents with one insert each and no update", async () => {
  const { hours, campaigns } = batch(3);
  await rollups.apply("acct_w", hours, campaigns);
  // A day's totals and its hours share an _id: knowing one exists says nothing of the other.
  expect(writes()).toEqual({
    "insert account_day_spans": 1,
    "insert account_day_hours": 1,
    "insert account_hour_seconds": 1,
    "insert account_hour_quarters": 1,
    "insert campaign_stats": 1,
  });
});

test("apply increments known documents in place, without inserting, one bulk update per collection", async () => {
  const { hours, campaigns } = batch(4);
  await rollups.apply("acct_w", hours, campaigns);
  const sent = [...commands];
  expect(writes()).toEqual({
    "update account_day_spans": 1,
    "update account_day_hours": 1,
    "update account_hour_seconds": 1,
    "update account_hour_quarters": 1,
    "update campaign_stats": 1,
  });
  commands.push(...sent);
  expect(writes(true)).toEqual({
    "update account_day_spans": 6, // the 2 days and their 4 enclosing spans (4, 16, 64, 256 days)
    "update account_day_hours": 2,
    "update account_hour_seconds": 2,
    "update account_hour_quarters": 2,
    "update campaign_stats": 1,
  });
  expect(await rollups.sumDays("acct_w", new Date(DAY1), new Date(DAY2 + 24 * HOUR))).toEqual({ ...zeroCounts(), send: 14, open: 2 });
  expect(await rollups.sumHoursOfDay("acct_w", new Date(DAY2 + 23 * HOUR), new Date(DAY2 + 24 * HOUR))).toEqual({ ...zeroCounts(), send: 7 });
  const camp = await rollups.campaign("acct_w", "camp_a");
  expect(camp?.counts).toEqual({ ...zeroCounts(), send: 14, open: 2 });
  expect(camp?.timeline).toEqual([{ hour: new Date(DAY1 + 9 * HOUR), opens: 2, clicks: 0 }]);
});

test("the upsert form (caps.counterWrites, MongoDB's): one bulk of upserts per collection, the same sums as insert-first", async () => {
  const upserts = new RollupStore(db, { ...caps, counterWrites: "upsert" });
  for (const sends of [3, 4]) {
    const { hours, campaigns } = batch(sends);
    await upserts.apply("acct_u", hours, campaigns);
    expect(writes()).toEqual({
      "update account_day_spans": 1,
      "update account_day_hours": 1,
      "update account_hour_seconds": 1,
      "update account_hour_quarters": 1,
      "update campaign_stats": 1,
    });
  }
  for (const store of [upserts, rollups]) {
    expect(await store.sumDays("acct_u", new Date(DAY1), new Date(DAY2 + 24 * HOUR))).toEqual(await rollups.sumDays("acct_w", new Date(DAY1), new Date(DAY2 + 24 * HOUR)));
    expect(await store.sumHoursOfDay("acct_u", new Date(DAY2 + 23 * HOUR), new Date(DAY2 + 24 * HOUR))).toEqual({ ...zeroCounts(), send: 7 });
    expect(await store.sumSecondsOfHour("acct_u", new Date(DAY1 + 9 * HOUR), new Date(DAY1 + 10 * HOUR))).toEqual({ ...zeroCounts(), send: 7, open: 2 });
    expect(await store.campaign("acct_u", "camp_a")).toEqual(await rollups.campaign("acct_w", "camp_a"));
  }
  // Racing writers of documents that do not exist yet: every increment lands once, where the
  // database applies racing updates of one document atomically (not FerretDB: caps.atomicUpdates).
  if (!caps.atomicUpdates) return;
  const { hours, campaigns } = batch(1);
  await Promise.all(Array.from({ length: 6 }, () => new RollupStore(db, { ...caps, counterWrites: "upsert" }).apply("acct_race", hours, campaigns)));
  writes();
  expect(await upserts.sumDays("acct_race", new Date(DAY1), new Date(DAY2 + 24 * HOUR))).toEqual({ ...zeroCounts(), send: 12, open: 6 });
  expect((await upserts.campaign("acct_race", "camp_a"))?.counts).toEqual({ ...zeroCounts(), send: 12, open: 6 });
});

test("sumSecondsOfHour counts exactly the seconds in [from, to) of the hour, over every chunk", async () => {
  const at = (h: number, s: number) => new Date(DAY1 + h * HOUR + s * 1000);
  // Two chunks so far (batches of 3 and 4): send 2+3 at second 0, 1+1 at 3599; open 1+1 at 10.
  expect(await rollups.sumSecondsOfHour("acct_w", at(9, 0), at(9, 3600))).toEqual({ ...zeroCounts(), send: 7, open: 2 });
  expect(await rollups.sumSecondsOfHour("acct_w", at(9, 0), at(9, 1))).toEqual({ ...zeroCounts(), send: 5 });
  expect(await rollups.sumSecondsOfHour("acct_w", at(9, 1), at(9, 10))).toEqual(zeroCounts());
  expect(await rollups.sumSecondsOfHour("acct_w", at(9, 10), at(9, 3599))).toEqual({ ...zeroCounts(), open: 2 });
  expect(await rollups.sumSecondsOfHour("acct_w", at(9, 3599), at(9, 3600))).toEqual({ ...zeroCounts(), send: 2 });
  expect(await rollups.sumSecondsOfHour("acct_w", at(10, 0), at(10, 60))).toEqual(zeroCounts());
  await expect(rollups.sumSecondsOfHour("acct_w", at(9, 10), at(10, 1))).rejects.toThrow(/crosses an hour/);
});

test("quarter hours sum the seconds they hold; the per-second documents fill them in place (migration 4)", async () => {
  const q = (h: number, a: number, b: number) => [DAY1 + h * HOUR + a * 900_000, DAY1 + h * HOUR + b * 900_000] as const;
  // Seconds so far at 09: send 5 at 0 and 2 at 3599, open 2 at 10.
  const want = [{ ...zeroCounts(), send: 5, open: 2 }, { ...zeroCounts(), send: 2 }, { ...zeroCounts(), send: 7, open: 2 }, zeroCounts()];
  expect(await rollups.sumQuarterRanges("acct_w", [q(9, 0, 1), q(9, 1, 4), q(9, 0, 4), q(10, 0, 2)])).toEqual(want);
  await expect(rollups.sumQuarterRanges("acct_w", [[DAY1 + 9 * HOUR, DAY1 + 9 * HOUR + 1000]])).rejects.toThrow(/quarters/);
  await db.collection("account_hour_quarters").deleteMany({});
  const store = { db, rollups } as unknown as Store;
  expect(await m004.run(store)).toEqual([]);
  expect(await m004.run(store)).toEqual([]); // again: the same, not doubled
  expect(await rollups.sumQuarterRanges("acct_w", [q(9, 0, 1), q(9, 1, 4), q(9, 0, 4), q(10, 0, 2)])).toEqual(want);
  expect(await rollups.sumQuarterRanges("acct_w", [[DAY2 + 23 * HOUR + 1_800_000, DAY2 + 24 * HOUR]])).toEqual([{ ...zeroCounts(), send: 7 }]);
});

test("a store that knows none of 150 existing documents increments them all (bulk updates in slices)", async () => {
  // FerretDB v1.24 never answers a bulk write of 100 or more updates (see BULK_MAX).
  const spread: HourDelta[] = Array.from({ length: 150 }, (_, i) => ({
    hour: new Date(DAY1 + i * 24 * HOUR),
    counts: { delivered: 1 },
    seconds: [{ second: 5, key: "delivered", n: 1 }],
  }));
  await rollups.apply("acct_spread", spread, []);
  const fresh = new RollupStore(db, { ...caps, counterWrites: "insert-first" });
  await fresh.apply("acct_spread", spread, []);
  const last = DAY1 + 149 * 24 * HOUR;
  expect(await fresh.sumDays("acct_spread", new Date(DAY1), new Date(last + 24 * HOUR))).toEqual({ ...zeroCounts(), delivered: 300 });
  expect(await fresh.sumSecondsOfHour("acct_spread", new Date(last), new Date(last + HOUR))).toEqual({ ...zeroCounts(), delivered: 2 });

  // `rollups` still knows all 150 days; a rebuild elsewhere deleted every third day's documents
  // meanwhile. Its bulk updates (3 slices) come up short, and exactly those are inserted again.
  const gone = Array.from({ length: 50 }, (_, i) => new Date(DAY1 + 3 * i * 24 * HOUR).toISOString().slice(0, 10));
  for (const c of ["account_day_hours", "account_hour_seconds", "account_hour_quarters"]) {
    const prefix = c === "account_day_hours" ? "" : "T00";
    await db.collection<{ _id: string }>(c).deleteMany({ _id: { $in: gone.map((d) => `acct_spread|${d}${prefix}`) } });
  }
  commands.length = 0;
  await rollups.apply("acct_spread", spread, []);
  expect(writes(true)["update account_day_hours"]).toBe(150);
  for (let i = 0; i < 150; i += 1) {
    const day = DAY1 + i * 24 * HOUR;
    const want = { ...zeroCounts(), delivered: i % 3 === 0 ? 1 : 3 };
    expect(await fresh.sumHoursOfDay("acct_spread", new Date(day), new Date(day + 24 * HOUR)), `day ${i}`).toEqual(want);
  }
  const hour = (i: number) => [DAY1 + i * 24 * HOUR, DAY1 + i * 24 * HOUR + HOUR] as const;
  expect(await fresh.sumSecondRanges("acct_spread", [hour(0), hour(1), hour(149)])).toEqual([1, 3, 3].map((delivered) => ({ ...zeroCounts(), delivered })));
  expect(await fresh.sumQuarterRanges("acct_spread", [hour(0), hour(1), hour(147)])).toEqual([1, 3, 1].map((delivered) => ({ ...zeroCounts(), delivered })));
  expect(await fresh.sumDays("acct_spread", new Date(DAY1), new Date(last + 24 * HOUR))).toEqual({ ...zeroCounts(), delivered: 450 });
}, 60_000);

test("version 2's day totals (account_days, summed by counter name) become day spans in place, without a rebuild", async () => {
  const DAY3 = Date.UTC(2026, 2, 12);
  const old = ["send", "delivered", "open", "click", "bounce", "hard", "soft", "complaint", "unsubscribe", "uopen", "uclick"];
  // As version 1 wrote it (every counter in that order) with version 2's named increments after it.
  await db.collection("account_days").insertMany([
    {
      _id: "acct_old|2026-03-12" as never,
      a: "acct_old",
      d: new Date(DAY3),
      t: [...old.map((k, i) => ({ k, v: i === 0 ? 5 : i === 2 ? 1 : 0 })), { k: "send", v: 2 }, { k: "uopen", v: 1 }, { k: "open", v: 4 }],
    },
    { _id: "acct_old|2026-03-13" as never, a: "acct_old", d: new Date(DAY3 + 24 * HOUR), t: [{ k: "click", v: 3 }] },
    { _id: "acct_two|2026-03-12" as never, a: "acct_two", d: new Date(DAY3), t: [{ k: "send", v: 1 }] },
  ]);
  const store = { db, rollups } as unknown as Store;
  expect(await m003.run(store)).toEqual([]);
  const day = (d: number) => [new Date(DAY3 + d * 24 * HOUR), new Date(DAY3 + (d + 1) * 24 * HOUR)] as const;
  expect(await rollups.sumDays("acct_old", ...day(0))).toEqual({ ...zeroCounts(), send: 7, open: 5, uopen: 1 });
  expect(await rollups.sumDays("acct_old", day(0)[0], day(1)[1])).toEqual({ ...zeroCounts(), send: 7, open: 5, uopen: 1, click: 3 });
  expect(await rollups.sumDays("acct_two", day(-30)[0], day(30)[1])).toEqual({ ...zeroCounts(), send: 1 });
  expect(await db.listCollections({ name: "account_days" }).hasNext()).toBe(false);
  // Run again (a crash after the drop): nothing left to do, nothing lost.
  expect(await m003.run(store)).toEqual([]);
  expect(await rollups.sumDays("acct_old", day(0)[0], day(1)[1])).toEqual({ ...zeroCounts(), send: 7, open: 5, uopen: 1, click: 3 });
});

test("version 7's number counters (a day's hours, an hour's quarters, a campaign's timeline) are packed in place, without a rebuild", async () => {
  const DAY = Date.UTC(2026, 2, 14);
  const hour = (h: number) => DAY + h * HOUR;
  const epochHour = hour(9) / HOUR;
  await db.collection("account_day_hours").insertOne({ _id: "acct_v5|2026-03-14" as never, a: "acct_v5", d: new Date(DAY), h: { send09: 4, open09: 2, uopen09: 1, open23: 1 } });
  await db.collection("account_hour_quarters").insertOne({ _id: "acct_v5|2026-03-14T09" as never, a: "acct_v5", q: { send0: 3, send3: 1, open2: 2, uopen2: 1 } });
  await db.collection("campaign_stats").insertOne({
    _id: "acct_v5|c5" as never, a: "acct_v5", c: "c5", n: { send: 4, open: 3, click: 1 }, fs: new Date(hour(9)),
    to: { [`h${epochHour}`]: 2, [`h${epochHour + 14}`]: 1 }, tc: { [`h${epochHour + 14}`]: 1 },
  });
  const store = { db, rollups, caps } as unknown as Store;
  const check = async () => {
    expect(await rollups.sumHourRanges("acct_v5", [[hour(0), hour(24)], [hour(9), hour(10)], [hour(10), hour(24)]])).toEqual([
      { ...zeroCounts(), send: 4, open: 3, uopen: 1 },
      { ...zeroCounts(), send: 4, open: 2, uopen: 1 },
      { ...zeroCounts(), open: 1 },
    ]);
    expect(await rollups.sumQuarterRanges("acct_v5", [[hour(9), hour(9) + 45 * 60_000], [hour(9) + 45 * 60_000, hour(10)]])).toEqual([
      { ...zeroCounts(), send: 3, open: 2, uopen: 1 },
      { ...zeroCounts(), send: 1 },
    ]);
    expect(await rollups.campaign("acct_v5", "c5")).toEqual({
      counts: { ...zeroCounts(), send: 4, open: 3, click: 1 },
      firstSend: new Date(hour(9)),
      timeline: [{ hour: new Date(hour(9)), opens: 2, clicks: 0 }, { hour: new Date(hour(23)), opens: 1, clicks: 1 }],
    });
  };
  expect(await m008.run(store)).toEqual([]);
  await check();
  expect(await db.collection("account_day_hours").findOne({ _id: "acct_v5|2026-03-14" as never })).not.toHaveProperty("h");
  // Run again (a crash after the step, before its version was recorded): nothing counted twice.
  expect(await m008.run(store)).toEqual([]);
  await check();
});

test("version 8's packed documents are folded in place (an hour's seconds without a fold count included), the sums unchanged", async () => {
  const DAY = Date.UTC(2026, 2, 15);
  const hour = (h: number) => DAY + h * HOUR;
  await db.collection("account_day_hours").insertOne({ _id: "acct_v8|2026-03-15" as never, a: "acct_v8", d: new Date(DAY), p: ["send09:4,open09:2", "open09:1,uopen09:1", "open23:1"], g: 0 });
  await db.collection("account_hour_quarters").insertOne({ _id: "acct_v8|2026-03-15T09" as never, a: "acct_v8", p: ["send0:3,open2:2", "send3:1,uopen2:1,open2:1"], g: 2 });
  // As version 8 wrote an hour's seconds: one chunk per write, never folded, no `g`.
  await db.collection("account_hour_seconds").insertOne({ _id: "acct_v8|2026-03-15T09" as never, a: "acct_v8", h: new Date(hour(9)), p: ["send:5:3,open:1900:2", "send:2800:1,uopen:1900:1,open:1901:1"] });
  const store = { db, rollups, caps } as unknown as Store;
  const check = async () => {
    expect(await rollups.sumHourRanges("acct_v8", [[hour(0), hour(24)], [hour(10), hour(24)]])).toEqual([
      { ...zeroCounts(), send: 4, open: 4, uopen: 1 },
      { ...zeroCounts(), open: 1 },
    ]);
    expect(await rollups.sumQuarterRanges("acct_v8", [[hour(9), hour(9) + 45 * 60_000]])).toEqual([{ ...zeroCounts(), send: 3, open: 3, uopen: 1 }]);
    expect(await rollups.sumSecondRanges("acct_v8", [[hour(9) + 5000, hour(9) + 1_901_000], [hour(9), hour(10)]])).toEqual([
      { ...zeroCounts(), send: 3, open: 2, uopen: 1 },
      { ...zeroCounts(), send: 4, open: 3, uopen: 1 },
    ]);
  };
  await check();
  expect(await m009.run(store)).toEqual([]);
  await check();
  for (const name of ["account_day_hours", "account_hour_quarters", "account_hour_seconds"]) {
    const doc = await db.collection(name).findOne({ a: "acct_v8" });
    expect(doc?.p).toHaveLength(1);
    expect(doc?.g).toBeGreaterThanOrEqual(1);
  }
  // Run again (a crash after the step, before its version was recorded): nothing changes.
  expect(await m009.run(store)).toEqual([]);
  await check();
  expect((await db.collection("account_hour_seconds").findOne({ a: "acct_v8" }))?.g).toBe(1);
});

test("version 9's day hours and hour quarters are folded into grids in place (one chunk or several), the sums unchanged", async () => {
  const DAY = Date.UTC(2026, 2, 16);
  const hour = (h: number) => DAY + h * HOUR;
  await db.collection("account_day_hours").insertOne({ _id: "acct_v9|2026-03-16" as never, a: "acct_v9", d: new Date(DAY), p: ["send09:4,open09:2,open23:1"], g: 1 });
  await db.collection("account_hour_quarters").insertOne({ _id: "acct_v9|2026-03-16T09" as never, a: "acct_v9", p: ["send0:3,open2:2", "send3:1,uopen2:1"], g: 0 });
  const store = { db, rollups, caps } as unknown as Store;
  const check = async () => {
    expect(await rollups.sumHourRanges("acct_v9", [[hour(0), hour(24)], [hour(10), hour(24)]])).toEqual([
      { ...zeroCounts(), send: 4, open: 3 },
      { ...zeroCounts(), open: 1 },
    ]);
    expect(await rollups.sumQuarterRanges("acct_v9", [[hour(9), hour(9) + 45 * 60_000], [hour(9) + 45 * 60_000, hour(10)]])).toEqual([
      { ...zeroCounts(), send: 3, open: 2, uopen: 1 },
      { ...zeroCounts(), send: 1 },
    ]);
  };
  await check();
  expect(await m010.run(store)).toEqual([]);
  await check();
  const day = await db.collection("account_day_hours").findOne({ a: "acct_v9" });
  expect(day?.p).toEqual([`send=${".".repeat(9)}4${".".repeat(14)},open=${".".repeat(9)}2${".".repeat(13)}.1`]);
  expect((await db.collection("account_hour_quarters").findOne({ a: "acct_v9" }))?.p).toEqual(["send=3...1,open=..2.,uopen=..1."]);
  // Run again (a crash after the step, before its version was recorded): nothing changes.
  expect(await m010.run(store)).toEqual([]);
  await check();
  expect(day?.g).toBe(2);
  expect((await db.collection("account_day_hours").findOne({ a: "acct_v9" }))?.g).toBe(2);
});

test("a fold names the document by `_id` alone where this process is the one writer, and checks its chunks where writers are concurrent", async () => {
  // FerretDB's SQLite backend decodes the whole collection for any other filter (packed-counts.ts, fold).
  const updates: { q: Record<string, unknown>; u: Record<string, unknown> }[] = [];
  const listen = (e: CommandStartedEvent) => {
    if (e.commandName === "update" && e.command.update === "account_day_hours") updates.push(...(e.command.updates as { q: Record<string, unknown>; u: Record<string, unknown> }[]));
  };
  client.on("commandStarted", listen);
  try {
    for (const concurrentWriters of [false, true]) {
      const store = new RollupStore(db, { ...caps, concurrentWriters, counterWrites: "insert-first" });
      const account = `acct_fold_${concurrentWriters}`;
      // A day's hours are folded every 4 appends: the first write inserts, 3 append, the 4th folds.
      for (let i = 0; i < 4; i++) await store.apply(account, [{ hour: new Date(DAY1 + 9 * HOUR), counts: { send: 1 }, seconds: [{ second: i, key: "send", n: 1 }] }], []);
      const folds = updates.splice(0).filter((x) => "$set" in x.u);
      expect(folds).toHaveLength(1);
      expect(Object.keys(folds[0]!.q).sort()).toEqual(concurrentWriters ? ["_id", "g", "p"] : ["_id"]);
      expect((await db.collection("account_day_hours").findOne({ a: account }))?.p).toEqual([`send=${".".repeat(9)}4${".".repeat(14)}`]);
    }
  } finally {
    client.off("commandStarted", listen);
    commands.splice(0);
  }
});

test("reading the documents by one $in (MongoDB's route, caps.idSetLookups) gives the same sums as one lookup each", async () => {
  const viaSet = new RollupStore(db, { ...caps, idSetLookups: true });
  const viaOne = new RollupStore(db, { ...caps, idSetLookups: false });
  const ranges = [[DAY1 - 40 * 24 * HOUR, DAY2 + 24 * HOUR], [DAY1, DAY2]] as const;
  const days = await viaSet.sumDayRanges("acct_w", ranges);
  expect(days).toEqual(await viaOne.sumDayRanges("acct_w", ranges));
  expect(days[0]).toEqual({ ...zeroCounts(), send: 14, open: 2 });
  const hours = [[DAY1 + 9 * HOUR, DAY1 + 10 * HOUR], [DAY2 + 23 * HOUR, DAY2 + 24 * HOUR]] as const;
  expect(await viaSet.sumHourRanges("acct_w", hours)).toEqual(await viaOne.sumHourRanges("acct_w", hours));
  const seconds = [[DAY1 + 9 * HOUR, DAY1 + 9 * HOUR + 10_000], [DAY1 + 9 * HOUR + 10_000, DAY1 + 10 * HOUR]] as const;
  expect(await viaSet.sumSecondRanges("acct_w", seconds)).toEqual([{ ...zeroCounts(), send: 5 }, { ...zeroCounts(), send: 2, open: 2 }]);
});

test("whole days are tiled by the longest aligned spans: at most a few reads for any range", () => {
  expect(tile(20522, 20524)).toEqual([[1, 20522], [1, 20523]]);
  expect(tile(20480, 20480 + 256)).toEqual([[256, 20480]]);
  const epochDay = Date.UTC(2026, 0, 6) / (24 * HOUR);
  for (let from = epochDay; from < epochDay + 64; from++) {
    for (const len of [7, 30, 90, 366]) {
      const t = tile(from, from + len);
      expect(t.reduce((n, [l]) => n + l, 0)).toBe(len);
      expect(t.length, `${from} + ${len}`).toBeLessThanOrEqual(len <= 90 ? 19 : 22);
      t.forEach(([l, start], i) => {
        expect(start % l).toBe(0);
        if (i > 0) expect(start).toBe(t[i - 1]![1] + t[i - 1]![0]);
      });
    }
  }
});
