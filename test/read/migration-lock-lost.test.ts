// A migrator whose lock was taken from it (it stalled past the lock's life and another instance
// took over) stops before its next account instead of writing beside the new holder.
import { randomBytes } from "node:crypto";
import { afterAll, expect, inject, test } from "vitest";
import { LockLostError } from "../../src/storage/account-locks.js";
import { MIGRATION_LOCK, migrate } from "../../src/storage/migrations/index.js";
import { Store } from "../../src/storage/store.js";

let store: Store;
afterAll(async () => store?.close());

test("the migration lock taken over during a step: the migrator throws before converting another account, the version stays", async () => {
  store = await Store.open(inject("mongoUri"), `t_${randomBytes(6).toString("hex")}`);
  const meta = store.db.collection<{ _id: string; v: number }>("schema_meta");
  await meta.insertOne({ _id: "rollups", v: 6 });
  // Version 6's lists of three accounts, for migration 7 to convert one at a time.
  const old = store.db.collection<{ _id: string; e: Record<string, unknown> }>("campaign_lists");
  for (const a of ["acct_1", "acct_2", "acct_3"]) await old.insertOne({ _id: a, e: { cc1: { k: 1, f: new Date("2026-03-01T00:00:00Z") } } });
  // While the first account is converted, another instance takes the lock (as after a stall).
  const list = store.campaignList;
  const seen = list.seen.bind(list);
  list.seen = async (a, c) => {
    list.seen = seen;
    await store.db.collection<{ _id: string; o: string; until: Date }>("account_write_locks").replaceOne({ _id: MIGRATION_LOCK }, { o: "another-instance", until: new Date(Date.now() + 10_000) });
    return seen(a, c);
  };
  await expect(migrate(store)).rejects.toBeInstanceOf(LockLostError);
  expect(await old.countDocuments({})).toBe(2);
  expect((await meta.findOne({ _id: "rollups" }))?.v).toBe(6);
});
