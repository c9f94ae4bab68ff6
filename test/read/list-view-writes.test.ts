// A list change whose write to one view fails must not return (and let its writer release the
// account's lease) while its write to another view is still in flight: that write could land
// on top of the view a repair rebuilds meanwhile.
import { randomBytes } from "node:crypto";
import type { AnyBulkWriteOperation, BulkWriteOptions } from "mongodb";
import { afterAll, expect, inject, test } from "vitest";
import type { SortedPageDoc } from "../../src/storage/sorted-pages.js";
import { Store } from "../../src/storage/store.js";

let store: Store;
afterAll(async () => store?.close());

test("a failed view write: the change fails only after every other view write has ended", async () => {
  store = await Store.open(inject("mongoUri"), `t_${randomBytes(6).toString("hex")}`);
  const col = store.campaignList.pages;
  const bulkWrite = col.bulkWrite.bind(col);
  let lastWriteEnded = 0;
  // The `all` view's chunk write is slow, the `draft` view's directory write fails (the views'
  // chunks go in one bulk write, their directories in the next).
  (col as unknown as { bulkWrite: unknown }).bulkWrite = async (ops: AnyBulkWriteOperation<SortedPageDoc>[], opts?: BulkWriteOptions) => {
    const ids = ops.map((op) => ("replaceOne" in op ? String(op.replaceOne.filter._id) : ""));
    if (ids.includes("acct|draft")) throw new Error("draft view write failed");
    if (ids.includes("acct|all|0")) await new Promise((r) => setTimeout(r, 300));
    try {
      return await bulkWrite(ops, opts);
    } finally {
      lastWriteEnded = Date.now();
    }
  };
  await expect(store.campaignList.register("acct", [{ id: "c1", name: "C1", status: "draft" }])).rejects.toThrow("draft view write failed");
  const failedAt = Date.now();
  await new Promise((r) => setTimeout(r, 500));
  expect(lastWriteEnded).toBeGreaterThan(0);
  expect(lastWriteEnded).toBeLessThanOrEqual(failedAt);
});
