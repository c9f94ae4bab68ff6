// A page of the campaign list read while a registration splits the chunk it is reading: the
// page lists every campaign (none skipped, none twice), because the reader sees that the chunk
// was rewritten under a newer layout than its directory and reads the directory again.
import { randomBytes } from "node:crypto";
import type { Filter } from "mongodb";
import { afterAll, expect, inject, test } from "vitest";
import { CHUNK_MAX, type SortedPageDoc } from "../../src/storage/sorted-pages.js";
import { Store } from "../../src/storage/store.js";
import type { RegisteredCampaign } from "../../src/storage/types.js";

let store: Store;
afterAll(async () => store?.close());

const campaign = (i: number): RegisteredCampaign => ({ id: `c${String(i).padStart(4, "0")}`, name: `C${i}`, status: "sent", sentAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000) });
// Newest first: the list's order.
const newestFirst = (n: number) => Array.from({ length: n }, (_, i) => campaign(n - 1 - i).id);

test("a page read across a chunk split lists every campaign once", async () => {
  store = await Store.open(inject("mongoUri"), `t_${randomBytes(6).toString("hex")}`);
  const list = store.campaignList;
  // One full chunk: the next campaign splits it in two.
  await list.register("acct", Array.from({ length: CHUNK_MAX }, (_, i) => campaign(i)));
  expect((await list.page("acct", undefined, undefined, CHUNK_MAX + 1)).items.map((x) => x.id)).toEqual(newestFirst(CHUNK_MAX));

  // The reader's first chunk read waits until the split has been written.
  const col = list.pages;
  const findOne = col.findOne.bind(col) as (f: Filter<SortedPageDoc>) => Promise<SortedPageDoc | null>;
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let paused = 0;
  let reachedChunk!: () => void;
  const atChunk = new Promise<void>((r) => (reachedChunk = r));
  (col as unknown as { findOne: unknown }).findOne = async (f: Filter<SortedPageDoc>) => {
    if (String(f._id).startsWith("acct|all|") && paused++ === 0) {
      reachedChunk();
      await released;
    }
    return findOne(f);
  };
  const reading = list.page("acct", undefined, undefined, CHUNK_MAX + 1);
  await atChunk;
  await list.register("acct", [campaign(CHUNK_MAX)]);
  release();
  const page = await reading;
  expect(page.items.map((x) => x.id)).toEqual(newestFirst(CHUNK_MAX + 1));
  expect(page.more).toBe(false);
  // The split happened: the view has more than one chunk now.
  expect(await col.countDocuments({ a: "acct", e: { $exists: true }, _id: { $regex: /^acct\|all\|/ } } as Filter<SortedPageDoc>)).toBeGreaterThan(1);
});

test("a view emptied and filled again keeps its directory, with chunk numbers never reused", async () => {
  const list = store.campaignList;
  await list.register("acct2", [{ id: "d1", name: "D1", status: "draft" }]);
  const dirOf = () => list.pages.findOne({ _id: "acct2|draft" } as Filter<SortedPageDoc>);
  const first = await dirOf();
  // The only draft leaves the view: its directory stays, empty.
  await list.register("acct2", [{ id: "d1", name: "D1", status: "sent" }]);
  const emptied = await dirOf();
  expect(emptied?.c).toEqual([]);
  expect((await list.page("acct2", "draft", undefined, 10)).items).toEqual([]);
  await list.register("acct2", [{ id: "d2", name: "D2", status: "draft" }]);
  const again = await dirOf();
  expect(first?.c?.[0]?.p).toBeDefined();
  expect((again?.c ?? []).map((c) => c.p)).not.toContain(first?.c?.[0]?.p);
  expect(again?.v ?? 0).toBeGreaterThan(emptied?.v ?? 0);
  expect((await list.page("acct2", "draft", undefined, 10)).items.map((x) => x.id)).toEqual(["d2"]);
});
