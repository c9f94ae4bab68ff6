// RollupStore.apply's writes, as the database sees them: a document is inserted the first time
// and incremented in place after that, with no update tried on a document that does not exist.
import { randomBytes } from "node:crypto";
import { MongoClient, type CommandStartedEvent, type Db } from "mongodb";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { detectCapabilities, type Capabilities } from "../../src/storage/capabilities.js";
import { RollupStore, type CampaignDelta, type HourDelta } from "../../src/storage/rollups.js";
import { zeroCounts } from "../../src/storage/types.js";

let client: MongoClient;
let db: Db;
let rollups: RollupStore;
let caps: Capabilities;
const commands: { name: string; collection: unknown }[] = [];

beforeAll(async () => {
  client = new MongoClient(inject("mongoUri"), { monitorCommands: true });
  await client.connect();
  db = client.db(`t_${randomBytes(6).toString("hex")}`);
  caps = await detectCapabilities(db);
  rollups = new RollupStore(db, caps);
  await rollups.ensureIndexes(caps);
  client.on("commandStarted", (e: CommandStartedEvent) => {
    if (e.commandName === "insert" || e.commandName === "update") commands.push({ name: e.commandName, collection: e.command[e.commandName] });
  });
});
afterAll(async () => {
  await db.dropDatabase().catch(() => undefined);
  await client.close();
});

const DAY1 = Date.UTC(2026, 2, 10);
const DAY2 = Date.UTC(2026, 2, 11);
const HOUR = 3_600_000;

function writes(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of commands.splice(0)) out[`${c.name} ${String(c.collection)}`] = (out[`${c.name} ${String(c.collection)}`] ?? 0) + 1;
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
    "insert account_days": 1,
    "insert account_day_hours": 1,
    "insert account_hour_seconds": 1,
    "insert campaign_stats": 1,
  });
});

test("apply increments known documents in place, without inserting", async () => {
  const { hours, campaigns } = batch(4);
  await rollups.apply("acct_w", hours, campaigns);
  expect(writes()).toEqual({
    "update account_days": 2,
    "update account_day_hours": 2,
    "update account_hour_seconds": 2,
    "update campaign_stats": 1,
  });
  expect(await rollups.sumDays("acct_w", new Date(DAY1), new Date(DAY2 + 24 * HOUR))).toEqual({ ...zeroCounts(), send: 14, open: 2 });
  expect(await rollups.sumHoursOfDay("acct_w", new Date(DAY2 + 23 * HOUR), new Date(DAY2 + 24 * HOUR))).toEqual({ ...zeroCounts(), send: 7 });
  const camp = await rollups.campaign("acct_w", "camp_a");
  expect(camp?.counts).toEqual({ ...zeroCounts(), send: 14, open: 2 });
  expect(camp?.timeline).toEqual([{ hour: new Date(DAY1 + 9 * HOUR), opens: 2, clicks: 0 }]);
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

test("a store that knows none of 150 existing documents increments them all (bulk updates in slices)", async () => {
  // FerretDB v1.24 never answers a bulk write of 100 or more updates (see BULK_MAX).
  const spread: HourDelta[] = Array.from({ length: 150 }, (_, i) => ({
    hour: new Date(DAY1 + i * 24 * HOUR),
    counts: { delivered: 1 },
    seconds: [{ second: 5, key: "delivered", n: 1 }],
  }));
  await rollups.apply("acct_spread", spread, []);
  const fresh = new RollupStore(db, caps);
  await fresh.apply("acct_spread", spread, []);
  const last = DAY1 + 149 * 24 * HOUR;
  expect(await fresh.sumDays("acct_spread", new Date(DAY1), new Date(last + 24 * HOUR))).toEqual({ ...zeroCounts(), delivered: 300 });
  expect(await fresh.sumSecondsOfHour("acct_spread", new Date(last), new Date(last + HOUR))).toEqual({ ...zeroCounts(), delivered: 2 });
}, 60_000);

test("day totals are summed by counter name: a document in the old positional form, named increments after it, an unknown name ignored", async () => {
  const DAY3 = Date.UTC(2026, 2, 12);
  const old = ["send", "delivered", "open", "click", "bounce", "hard", "soft", "complaint", "unsubscribe", "uopen", "uclick"];
  // As version 2 wrote it: every counter, in that order, incremented at `t.<i>.v`.
  await db.collection("account_days").insertOne({
    _id: "acct_old|2026-03-12" as never,
    a: "acct_old",
    d: new Date(DAY3),
    t: [...old.map((k, i) => ({ k, v: i === 0 ? 5 : i === 2 ? 1 : 0 })), { k: "from_the_future", v: 9 }],
  });
  await rollups.apply("acct_old", [{ hour: new Date(DAY3 + HOUR), counts: { send: 2, uopen: 1 }, seconds: [] }], []);
  await rollups.apply("acct_old", [{ hour: new Date(DAY3 + 2 * HOUR), counts: { open: 4 }, seconds: [] }], []);
  expect(await rollups.sumDays("acct_old", new Date(DAY3), new Date(DAY3 + 24 * HOUR))).toEqual({ ...zeroCounts(), send: 7, open: 5, uopen: 1 });
});
