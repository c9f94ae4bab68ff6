// Counters are written as 64-bit integers, so an `$inc` past 2^31 widens instead of wrapping
// (FerretDB wraps a 32-bit one), and a value past 2^53, which the driver returns as a Long
// object, is added as a number, never concatenated as a string (money counters: exactly, as BigInt).
import { randomBytes } from "node:crypto";
import { Long, MongoClient, type Db } from "mongodb";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { storedCounts } from "../../src/storage/money.js";
import { addCounts, zeroCounts } from "../../src/storage/types.js";

let client: MongoClient;
let db: Db;

beforeAll(async () => {
  client = new MongoClient(inject("mongoUri"));
  await client.connect();
  db = client.db(`t_${randomBytes(6).toString("hex")}`);
});
afterAll(async () => {
  await db.dropDatabase().catch(() => undefined);
  await client.close();
});

test("a counter written as stored passes 2^31 on $inc without wrapping", async () => {
  const col = db.collection<{ _id: string; n: Record<string, number> }>("widths");
  await col.insertOne({ _id: "a", n: storedCounts({ send: 2_147_483_000, rev_USD_n: 999_999_999 }) as Record<string, number> });
  for (let i = 0; i < 3; i++) {
    await col.updateOne({ _id: "a" }, { $inc: storedCounts({ send: 1_000, rev_USD_n: 999_999_999 }, (k) => `n.${k}`) });
  }
  const doc = await col.findOne({ _id: "a" });
  expect(doc?.n.send).toBe(2_147_486_000);
  expect(doc?.n.rev_USD_n).toBe(3_999_999_996);
});

test("a counter past 2^53, read back as a Long, adds as a number; a money counter adds exactly, as BigInt", () => {
  const big = Long.fromString("9007199254740993");
  const out = addCounts(zeroCounts(), { send: big as unknown as number, rev_USD_n: big as unknown as number });
  addCounts(out, { send: 500_000_000, rev_USD_n: 500_000_000 });
  expect(typeof out.send).toBe("number");
  expect(out.send).toBeCloseTo(9_007_199_754_740_993, -2);
  expect(out.rev_USD_n).toBe(9_007_199_754_740_993n);
});
