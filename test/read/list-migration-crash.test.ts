// Migration 7 cut short inside a view's split (the split's chunks written, its directory not),
// then run again: every campaign listed once, with the registered values of `campaigns`.
import { randomBytes } from "node:crypto";
import { afterAll, expect, inject, test } from "vitest";
import { m007 } from "../../src/storage/migrations/007-list-pages.js";
import { Store } from "../../src/storage/store.js";

let store: Store;
afterAll(async () => store?.close());

test("migration 7 re-run after a crash between a split's chunks and its directory: every campaign listed once, registered values from campaigns", async () => {
  store = await Store.open(inject("mongoUri"), `t_${randomBytes(6).toString("hex")}`);
  const acct = "acct_m7";
  const now = new Date("2026-04-01T00:00:00Z");
  // Version 6's list: 150 registered drafts (never sent) and 100 campaigns seen with a first send.
  const e: Record<string, unknown> = {};
  for (let i = 0; i < 150; i++) {
    const id = `cr${String(i).padStart(3, "0")}`;
    e[`c${id}`] = { k: 1, r: { n: `R${i}`, st: "draft", s: null, tr: null } };
    // `campaigns` is the source; for cr000 the old list disagrees with it (its name).
    await store.campaigns.upsert(acct, { id, name: i === 0 ? "Renamed" : `R${i}`, status: "draft" }, now);
  }
  for (let i = 0; i < 100; i++) e[`ccs${String(i).padStart(3, "0")}`] = { k: 1, f: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000) };
  await store.db.collection("campaign_lists").insertOne({ _id: acct as never, e });

  // The process "dies" right before the `all` directory is written by the events' pass.
  const list = store.campaignList;
  const col = list.pages;
  const seen = list.seen.bind(list);
  const bulkWrite = col.bulkWrite.bind(col);
  let armed = false;
  list.seen = async (a, c) => {
    armed = true;
    return seen(a, c);
  };
  // Directories are written in a bulk write of their own, after the chunks'.
  (col as unknown as { bulkWrite: unknown }).bulkWrite = async (ops: Parameters<typeof bulkWrite>[0], ...rest: unknown[]) => {
    if (armed && ops.some((op) => "replaceOne" in op && op.replaceOne.filter._id === `${acct}|all`)) {
      armed = false;
      throw new Error("crash");
    }
    return (bulkWrite as (...args: unknown[]) => unknown)(ops, ...rest);
  };
  await expect(m007.run(store)).rejects.toThrow("crash");
  list.seen = seen;
  (col as unknown as { bulkWrite: unknown }).bulkWrite = bulkWrite;

  await m007.run(store);
  const items: { id: string; name?: string }[] = [];
  let after: [number | null, string] | undefined;
  for (;;) {
    const p = await list.page(acct, undefined, after, 200);
    items.push(...p.items.map((x) => ({ id: x.id, name: x.registered?.name })));
    if (!p.more) break;
    const last = p.items.at(-1)!;
    after = [(last.registered?.sentAt ?? last.firstSend)?.getTime() ?? null, last.id];
  }
  expect(items.map((x) => x.id).sort()).toEqual(Object.keys(e).map((k) => k.slice(1)).sort());
  expect(items.find((x) => x.id === "cr000")?.name).toBe("Renamed");
  expect(await list.entries.countDocuments({ a: acct })).toBe(250);
}, 120_000);
