// Several stores (as several service processes would have) recording batches of one account at once,
// on a database with concurrent writers. Where racing updates of one document are not atomic
// (FerretDB on PostgreSQL: caps.atomicUpdates false), the account write locks keep the counting
// of one account to one writer at a time; on MongoDB the updates themselves are atomic. Either
// way every counter ends exact. (Skipped on the single-writer SQLite backend: one process writes.)
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { Store } from "../../src/storage/store.js";
import { at, input, refOverview, type Ev } from "./lib.js";

const database = `t_${randomBytes(6).toString("hex")}`;
let stores: Store[] = [];
beforeAll(async () => {
  stores = await Promise.all(Array.from({ length: 4 }, () => Store.open(inject("mongoUri"), database)));
});
afterAll(async () => {
  await stores[0]?.db.dropDatabase().catch(() => undefined);
  await Promise.all(stores.map((s) => s.close()));
});

describe("one account written by several stores at once", () => {
  test("every counter exact (concurrent-writer databases)", async (ctx) => {
    if (!stores[0]!.caps.concurrentWriters) ctx.skip();
    // Rounds of one batch per store at the same moment, all counting into the same documents
    // (one hour, one campaign, one set of contacts): the shape that loses increments when two
    // writers update one FerretDB document at once.
    const HOUR0 = at("2026-03-10T09:00:00Z");
    const all: Ev[] = [];
    for (let round = 0; round < 5; round++) {
      const batches = stores.map((_, i) =>
        Array.from({ length: 10 }, (_, k): Ev => ({ id: `cw-${round}-${i}-${k}`, type: k % 3 ? "send" : "open", contact_email: `u${k}@cw.example`, campaign_id: "camp_cw", ms: HOUR0 + round * 60_000 + k * 1000 })),
      );
      all.push(...batches.flat());
      await Promise.all(stores.map((store, i) => store.ingest.record("acct_cw", batches[i]!.map(input), new Date())));
    }
    const from = at("2026-03-01T00:00:00Z");
    const to = at("2026-04-01T00:00:00Z");
    const got = await stores[0]!.rollups.sumDays("acct_cw", new Date(from), new Date(to));
    const ref = refOverview(all, from, to - 1000);
    expect({ send: got.send, open: got.open, uopen: got.uopen }).toEqual({ send: ref.sends, open: ref.opens, uopen: ref.unique_opens });
    expect((await stores[1]!.rollups.campaign("acct_cw", "camp_cw"))?.counts.send).toBe(ref.sends);
  }, 120_000);
});
