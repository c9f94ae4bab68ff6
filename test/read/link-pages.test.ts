// Clicks per url in bounded pages: a campaign with more urls than a page holds reads its exact
// top 500 and total_links; no page holds more than LINK_PAGE urls; migration 6 splits a version-5
// one-document-per-campaign `campaign_links` in place, again after a crash mid-way, and ingest
// goes on from the converted pages.
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { CampaignLinkStore, LINK_PAGE, headId } from "../../src/storage/campaign-links.js";
import { m006 } from "../../src/storage/migrations/006-link-pages.js";
import { ROLLUP_VERSION, migrate } from "../../src/storage/migrations/index.js";
import { Store } from "../../src/storage/store.js";
import { rest, startService, type TestService } from "../helpers/service.js";
import { HEAVY_TEST_MS } from "../helpers/heavy.js";
import { at, chunk, input, mulberry32, postAll, type Ev } from "./lib.js";

let svc: TestService;
beforeAll(async () => {
  svc = await startService({ now: new Date("2026-04-06T12:00:00Z") });
});
afterAll(() => svc.close());

const URLS = 2 * LINK_PAGE + 234;
let n = 0;

/** Clicks on `urls` distinct urls of one campaign, 1–4 per url from 1–3 contacts, shuffled. */
function clicks(campaign: string, urls: number, seed: number, from = 0): Ev[] {
  const rnd = mulberry32(seed);
  const out: Ev[] = [];
  for (let u = from; u < from + urls; u++) {
    const url = `https://shop.example/p/${u}?a=${u % 7}.$x`;
    const times = 1 + Math.floor(rnd() * 4);
    for (let k = 0; k < times; k++) {
      out.push({ id: `c${n++}`, type: "click", campaign_id: campaign, contact_email: `m${Math.floor(rnd() * 3)}@ex.io`, ms: at("2026-04-01T10:00:00Z") + n * 1000, url });
    }
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function reference(events: Ev[]) {
  const byUrl = new Map<string, { clicks: number; who: Set<string> }>();
  for (const e of events) {
    const l = byUrl.get(e.url!) ?? { clicks: 0, who: new Set<string>() };
    l.clicks++;
    l.who.add(e.contact_email);
    byUrl.set(e.url!, l);
  }
  const all = [...byUrl]
    .map(([url, l]) => ({ url, clicks: l.clicks, unique_clicks: l.who.size }))
    .sort((x, y) => y.clicks - x.clicks || Buffer.compare(Buffer.from(x.url), Buffer.from(y.url)));
  return { links: all.slice(0, 500), total_links: all.length };
}

async function read(key: string, campaign: string) {
  const r = await rest(svc, "GET", `/api/v1/analytics/campaigns/${campaign}/links`, { key });
  expect(r.status).toBe(200);
  return { links: r.body.links, total_links: r.body.total_links };
}

const pagesOf = (account: string) => svc.store.links.pages.find({ a: account, l: { $exists: true } }).toArray();

test(`a campaign of ${URLS} urls: top 500 by clicks and total_links exact, in pages of at most ${LINK_PAGE}`, async () => {
  const { account, key } = await svc.newAccount();
  const events = clicks("many", URLS, 1);
  await postAll(svc, key, chunk(events, 700));
  expect(await read(key, "many")).toStrictEqual(reference(events));
  const pages = await pagesOf(account);
  expect(pages.length).toBe(3);
  for (const p of pages) expect(Object.keys(p.l!).length).toBeLessThanOrEqual(LINK_PAGE);
  expect(pages.reduce((s, p) => s + Object.keys(p.l!).length, 0)).toBe(URLS);
  // Known urls again, with new ones: each url keeps its page.
  const more = clicks("many", 300, 2, URLS - 100);
  await postAll(svc, key, chunk(more, 500));
  expect(await read(key, "many")).toStrictEqual(reference([...events, ...more]));
  expect((await pagesOf(account)).reduce((s, p) => s + Object.keys(p.l!).length, 0)).toBe(URLS + 200);
}, HEAVY_TEST_MS);

test("migration 6 splits version 5's one links document per campaign in place, idempotently; ingest continues on the pages", async () => {
  const { account, key } = await svc.newAccount();
  const events = clicks("old", URLS, 3);
  await postAll(svc, key, chunk(events, 1000));
  // Read from storage below: the batches answered are counted first (as a read would have them).
  await svc.store.ingest.counted(account, 10_000);
  const want = reference(events);
  // The same counts as version 5 stored them: one document per campaign, every url in it.
  const l = Object.assign({}, ...(await pagesOf(account)).map((p) => p.l));
  const old = svc.store.db.collection("campaign_links");
  await old.insertOne({ _id: `${account}|old` as never, a: account, l });
  await svc.store.links.pages.deleteMany({ a: account });
  await svc.store.links.urls.deleteMany({ a: account });
  expect(await read(key, "old")).toStrictEqual({ links: [], total_links: 0 });

  // Another process (its own memory of pages) starts on the version-5 database.
  const other = await Store.open(inject("mongoUri"), svc.store.db.databaseName);
  try {
    const meta = other.db.collection<{ _id: string; v: number }>("schema_meta");
    await meta.updateOne({ _id: "rollups" }, { $set: { v: 5 } }, { upsert: true });
    // Step 6 first, then any later steps (7 reshapes the campaign list), none a rebuild.
    const ran = await migrate(other);
    expect(ran).toMatchObject({ from: 5, rebuild: [] });
    expect(ran.steps[0]).toBe(`6: ${m006.what}`);
    expect(await read(key, "old")).toStrictEqual(want);
    expect((await meta.findOne({ _id: "rollups" }))?.v).toBe(ROLLUP_VERSION);
    expect(await old.countDocuments({})).toBe(0);
    // A crash after the pages were written but before the old document went: run again, same result.
    await old.insertOne({ _id: `${account}|old` as never, a: account, l });
    expect(await m006.run(other)).toEqual([]);
    expect(await read(key, "old")).toStrictEqual(want);
    for (const p of await pagesOf(account)) expect(Object.keys(p.l!).length).toBeLessThanOrEqual(LINK_PAGE);
    // Counting goes on where the migration left the pages.
    const more = clicks("old", 200, 4, URLS - 50);
    await other.ingest.record(account, more.map(input), new Date("2026-04-06T12:00:00Z"));
    expect(await read(key, "old")).toStrictEqual(reference([...events, ...more]));
  } finally {
    await other.close();
  }
}, HEAVY_TEST_MS);

test("two writers placing one campaign's new urls (two instances): each url listed once, its clicks summed", async () => {
  const [a, b] = [new CampaignLinkStore(svc.store.db, svc.store.caps), new CampaignLinkStore(svc.store.db, svc.store.caps)];
  const u = (i: number) => `https://two.example/${i}`;
  // Each add under a lease of its own, as when the two instances take turns with the account.
  let turn = 0;
  const add = (w: CampaignLinkStore, ...l: [number, number, number][]) =>
    w.add("acct_links_two", new Map([["c1", l.map(([i, clicks, uniques]) => ({ url: u(i), clicks, uniques }))]]), `lease-${++turn}`);
  await add(a, [1, 1, 1]); // a creates the campaign's head: its later new urls skip the lookup
  await add(b, [2, 2, 1], [1, 1, 0]); // b looks up 1 (a placed it) and places 2
  await add(a, [2, 3, 1], [3, 1, 1]); // a does not know 2: its insert collides and it takes b's page
  const links = (await b.links("acct_links_two", "c1")).sort((x, y) => x.url.localeCompare(y.url));
  expect(links).toEqual([
    { url: u(1), clicks: 2, uniqueClicks: 1 },
    { url: u(2), clicks: 5, uniqueClicks: 2 },
    { url: u(3), clicks: 1, uniqueClicks: 1 },
  ]);
});

test("one lease kept across batches: new urls' slots counted here, the head written with the pages, every url on its own slot", async () => {
  const w = new CampaignLinkStore(svc.store.db, svc.store.caps);
  const account = "acct_links_kept";
  const u = (i: number) => `https://kept.example/${i}`;
  const add = (token: string, from: number, to: number) =>
    w.add(account, new Map([["c1", Array.from({ length: to - from }, (_, i) => ({ url: u(from + i), clicks: 1, uniques: 1 }))]]), token);
  await add("lease-1", 0, 3); // a new campaign: its head inserted with the slots, nothing read
  await add("lease-1", 3, 7); // the same lease: counted here, written with the pages
  await add("lease-1", 5, 9); // 5, 6 known; 7, 8 new
  await add("lease-2", 9, 10); // another lease: read again
  const head = await w.pages.findOne({ _id: headId(account, "c1") });
  expect(head?.n).toBe(10);
  const slots = await w.urls.find({ a: account }).toArray();
  expect(slots).toHaveLength(10);
  const links = await w.links(account, "c1");
  expect(links.map((l) => [l.url, l.clicks]).sort()).toEqual(
    Array.from({ length: 10 }, (_, i) => [u(i), i === 5 || i === 6 ? 2 : 1]).sort(),
  );
});

test("new campaigns' heads are inserted, not read; a head that exists (another instance made it) is read and its slots kept", async () => {
  const account = "acct_links_heads";
  const [a, b] = [new CampaignLinkStore(svc.store.db, svc.store.caps), new CampaignLinkStore(svc.store.db, svc.store.caps)];
  const reads = (w: CampaignLinkStore) => {
    const seen = { n: 0 };
    const findOne = w.pages.findOne.bind(w.pages);
    (w.pages as unknown as { findOne: unknown }).findOne = (...args: Parameters<typeof findOne>) => {
      seen.n++;
      return findOne(...args);
    };
    return seen;
  };
  const [readsA, readsB] = [reads(a), reads(b)];
  const u = (c: string, i: number) => `https://heads.example/${c}/${i}`;
  const batch = (campaigns: string[], from: number, to: number) =>
    new Map(campaigns.map((c) => [c, Array.from({ length: to - from }, (_, i) => ({ url: u(c, from + i), clicks: 2, uniques: 1 }))]));
  await a.add(account, batch(["c1", "c2", "c3"], 0, 4), "lease-a");
  expect(readsA.n).toBe(0);
  // New urls of c1 under the same lease: its head's `$inc` and its page's counts are one bulk of updates, nothing inserted.
  const calls: string[] = [];
  for (const m of ["insertMany", "bulkWrite"] as const) {
    const f = (a.pages[m] as (...x: unknown[]) => unknown).bind(a.pages);
    (a.pages as unknown as Record<string, unknown>)[m] = (...x: unknown[]) => (calls.push(m), f(...x));
  }
  await a.add(account, batch(["c1"], 4, 6), "lease-a");
  expect(calls).toEqual(["bulkWrite"]);
  expect((await a.pages.findOne({ _id: headId(account, "c1") }))?.n).toBe(6);
  // b has never seen c2: its head collides and is read, its 4 urls looked up, the new 2 take slots 4 and 5.
  await b.add(account, batch(["c2"], 2, 6), "lease-b");
  expect(readsB.n).toBe(1);
  expect((await b.pages.findOne({ _id: headId(account, "c2") }))?.n).toBe(6);
  const links = (await a.links(account, "c2")).sort((x, y) => x.url.localeCompare(y.url));
  expect(links).toEqual(Array.from({ length: 6 }, (_, i) => ({ url: u("c2", i), clicks: i === 2 || i === 3 ? 4 : 2, uniqueClicks: i === 2 || i === 3 ? 2 : 1 })));
  expect((await a.links(account, "c3")).length).toBe(4);
});
