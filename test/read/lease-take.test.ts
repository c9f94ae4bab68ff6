// Taking an account's lease is exclusive on every database: racing takers of a free lease never
// both win, even where the database applies racing updates of one document non-atomically
// (FerretDB reads, then writes).
import { randomBytes } from "node:crypto";
import { MongoClient, type Db } from "mongodb";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { AccountLeases } from "../../src/storage/account-leases.js";
import { detectCapabilities, type Capabilities } from "../../src/storage/capabilities.js";

let client: MongoClient;
let db: Db;
let caps: Capabilities;

beforeAll(async () => {
  client = new MongoClient(inject("mongoUri"));
  await client.connect();
  db = client.db(`t_${randomBytes(6).toString("hex")}`);
  caps = await detectCapabilities(db);
});
afterAll(async () => {
  await db.dropDatabase().catch(() => undefined);
  await client.close();
});

test("8 takers racing for a free lease, 25 rounds: exactly one wins each round", async () => {
  // As many "processes" as takers: each its own owner, all on one database.
  const takers = Array.from({ length: 8 }, (_, i) => new AccountLeases(db, `owner-${i}`, 60_000, caps));
  for (let round = 0; round < 25; round++) {
    const account = `acct_race_${round % 5}`; // the first five rounds create the lease, the rest reuse a released one
    const leases = await Promise.all(takers.map((t) => t.tryAcquire(account)));
    const winners = leases.flatMap((l, i) => (l ? [i] : []));
    expect(winners, `round ${round}`).toHaveLength(1);
    await takers[winners[0]!]!.release(leases[winners[0]!]!);
  }
});
