// The campaign list's views remembered under the account's lease (SortedPages.apply with a
// token): changes made under one lease read no directory or chunk again, and the list stays
// exactly what it would be read from the database; a writer under another lease (another
// instance took the account meanwhile) reads the views again.
import { randomBytes } from "node:crypto";
import { afterAll, expect, inject, test } from "vitest";
import { Store } from "../../src/storage/store.js";

const stores: Store[] = [];
afterAll(async () => {
  await stores[0]?.db.dropDatabase().catch(() => undefined);
  for (const s of stores) await s.close();
});

test("many changes under one lease: no view read after the first, the list exact; another lease reads again", async () => {
  const name = `t_${randomBytes(6).toString("hex")}`;
  const [a, b] = [await Store.open(inject("mongoUri"), name), await Store.open(inject("mongoUri"), name)];
  stores.push(a, b);
  const account = "acct_memo";
  let finds = 0;
  const col = a.campaignList.pages;
  const findOne = col.findOne.bind(col);
  (col as unknown as { findOne: unknown }).findOne = (...args: Parameters<typeof findOne>) => {
    finds++;
    return findOne(...args);
  };
  const day = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 3_600_000);
  const want = new Map<string, number>(); // campaign → first send (ms)
  const seen = async (store: Store, token: string, ids: number[], at: (i: number) => Date) => {
    await store.campaignList.seen(account, ids.map((i) => ({ id: `c${String(i).padStart(4, "0")}`, firstSend: at(i) })), token);
    for (const i of ids) {
      const id = `c${String(i).padStart(4, "0")}`;
      want.set(id, Math.min(want.get(id) ?? Infinity, at(i).getTime()));
    }
  };
  // 500 campaigns in batches of 50 (the views split into several chunks), then earlier first
  // sends for some (they move), all under lease "t1".
  await seen(a, "t1", Array.from({ length: 50 }, (_, i) => i), day);
  const afterFirst = finds;
  for (let k = 1; k < 10; k++) await seen(a, "t1", Array.from({ length: 50 }, (_, i) => k * 50 + i), day);
  await seen(a, "t1", Array.from({ length: 40 }, (_, i) => i * 12), (i) => day(i - 1000));
  expect(afterFirst).toBeGreaterThan(0);
  expect(finds).toBe(afterFirst); // nothing read again under the same lease
  // Another instance under its lease, then this one under a new lease: it reads again.
  await seen(b, "t2", [7, 501, 502], (i) => day(i - 5000));
  await seen(a, "t3", [600, 601], day);
  expect(finds).toBeGreaterThan(afterFirst);

  const listed: { id: string; f: number | undefined }[] = [];
  for (let after: [number | null, string] | undefined; ; ) {
    const page = await b.campaignList.page(account, undefined, after, 100);
    listed.push(...page.items.map((x) => ({ id: x.id, f: x.firstSend?.getTime() })));
    if (!page.more) break;
    const last = page.items[page.items.length - 1]!;
    after = [last.firstSend?.getTime() ?? null, last.id];
  }
  const expected = [...want].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([id, f]) => ({ id, f }));
  expect(listed).toEqual(expected);
}, 60_000);
