// A page of the campaign list read while a registration splits the chunk it is reading, or moves
// a campaign from one chunk to another: the page lists every campaign (none skipped, none twice),
// because the reader sees a chunk rewritten under a newer layout than its directory and reads
// the directory again.
import { randomBytes } from "node:crypto";
import type { Filter } from "mongodb";
import { afterAll, expect, inject, test } from "vitest";
import { CHUNK_MAX, type SortedPageDoc } from "../../src/storage/sorted-pages.js";
import { Store } from "../../src/storage/store.js";
import type { RegisteredCampaign } from "../../src/storage/types.js";

let store: Store;
afterAll(async () => store?.close());

const campaign = (i: number, sentAt = new Date(Date.UTC(2026, 0, 1) + i * 60_000)): RegisteredCampaign => ({ id: `c${String(i).padStart(4, "0")}`, name: `C${i}`, status: "sent", sentAt });
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
  (col as unknown as { findOne: unknown }).findOne = findOne;
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

test.each([
  // c0050 sits in the second chunk (c0100..c0001); made the newest, it moves to the first, which
  // the reader has already read: skipped unless the reader notices.
  ["to a chunk already read", 50, new Date(Date.UTC(2026, 5, 1))],
  // c0150 sits in the first chunk (c0200..c0101), read before the move; moved among the second's,
  // it would be listed twice.
  ["to a chunk not read yet", 150, new Date(Date.UTC(2026, 0, 1) + 50 * 60_000 + 1000)],
] as const)("a campaign moved %s while a page is read is listed once", async (_, moved, sentAt) => {
  const list = store.campaignList;
  const account = `acct_move${moved}`;
  // 201 campaigns: chunks of 100, 100 and 1, newest first.
  await list.register(account, Array.from({ length: CHUNK_MAX }, (_, i) => campaign(i)));
  await list.register(account, [campaign(CHUNK_MAX)]);
  const col = list.pages;
  const findOne = col.findOne.bind(col) as (f: Filter<SortedPageDoc>) => Promise<SortedPageDoc | null>;
  // The reader's first chunk read completes, its second waits until the move is written.
  let chunkReads = 0;
  let firstRead!: () => void;
  const firstDone = new Promise<void>((r) => (firstRead = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  (col as unknown as { findOne: unknown }).findOne = async (f: Filter<SortedPageDoc>) => {
    if (!String(f._id).startsWith(`${account}|all|`)) return findOne(f);
    const n = ++chunkReads;
    if (n === 1) {
      const doc = await findOne(f);
      firstRead();
      return doc;
    }
    if (n === 2) await released;
    return findOne(f);
  };
  try {
    const reading = list.page(account, undefined, undefined, 300);
    await firstDone;
    await list.register(account, [campaign(moved, sentAt)]);
    release();
    const ids = (await reading).items.map((x) => x.id);
    expect(ids.length).toBe(CHUNK_MAX + 1);
    expect(new Set(ids).size).toBe(CHUNK_MAX + 1);
  } finally {
    (col as unknown as { findOne: unknown }).findOne = findOne;
  }
});
