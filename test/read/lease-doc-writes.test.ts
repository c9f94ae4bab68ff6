// The holder's own writes to its lease document (renewals on a timer, a rebuild's begin and end)
// never undo one another, even where the database applies racing updates of one document
// non-atomically (FerretDB reads, then writes): a renewal that raced a rebuild's end once wrote
// back `rebuilding: true`, and the account's reads answered `unavailable` until the next rebuild.
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

test("a rebuild's begin and end, each racing a renewal of the same lease, 40 rounds: the flag and the counter are as the rebuilds left them", async () => {
  const leases = new AccountLeases(db, "owner-r", 60_000, caps);
  const lease = (await leases.tryAcquire("acct_r"))!;
  expect(lease).toBeDefined();
  const seen: string[] = [];
  for (let round = 1; round <= 40; round++) {
    await Promise.all([leases.beginRebuild(lease), leases.renew()]);
    const during = await leases.state("acct_r");
    await Promise.all([leases.endRebuild(lease), leases.renew()]);
    const after = await leases.state("acct_r");
    seen.push(`${round}: ${JSON.stringify(during)} ${JSON.stringify(after)}`);
    expect([during, after], seen.join("\n")).toEqual([{ rebuilding: true, rebuilds: round }, { rebuilding: false, rebuilds: round }]);
  }
  expect(lease.lost).toBe(false);
  await leases.releaseAll();
});
