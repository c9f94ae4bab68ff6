// A crash between the raw write and the rollups, and the repair that makes the counts (and the
// clicks purchase attribution reads) exact again;
// a rebuild of a healthy account changes nothing; rollups deleted behind a service's back are
// recreated by its next batch; derived data of an older version is rebuilt.
import type { Document } from "mongodb";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { MIGRATIONS, ROLLUP_VERSION, migrate } from "../../src/storage/migrations/index.js";
import { Store } from "../../src/storage/store.js";
import { unpack } from "../../src/storage/packed-counts.js";
import { rest, startService, type TestService } from "../helpers/service.js";
import { HEAVY_TEST_MS } from "../helpers/heavy.js";
import { CLOCK, generate } from "./generator.js";
import { Ledger, at, input, isoSec, mulberry32, post, refAttribution, refCampaign, refOverview, type Ev } from "./lib.js";
import type { OverviewJson } from "../helpers/rest-bodies.js";

let svc: TestService;
beforeAll(async () => {
  svc = await startService({ now: CLOCK });
});
afterAll(() => svc.close());

const RANGES: [string, string][] = [
  ["2026-01-01T00:00:00Z", "2026-04-07T23:59:59Z"],
  ["2026-03-07T00:00:00Z", "2026-04-06T23:59:59Z"],
  ["2026-02-10T07:13:09Z", "2026-03-19T16:44:01Z"],
  ["2026-03-30T00:00:00Z", "2026-03-30T00:00:00Z"],
];

/**
 * A read's body. A 503 (a rebuild running, or the database busy on a loaded machine: both
 * documented answers) is asked again, up to 30 s; any other answer is returned as it is. Still
 * 503 after that, the test fails here, saying so (every read of a snapshot waiting out its 30 s
 * would only end in the test's timeout, which names nothing).
 */
async function read(key: string, path: string): Promise<unknown> {
  for (let i = 0; ; i++) {
    const r = await rest(svc, "GET", path, { key });
    if (r.status !== 503) return r.body;
    if (i === 300) throw new Error(`${path} still answered 503 after 30 s: ${JSON.stringify(r.body)}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

async function snapshot(key: string, campaigns: string[]) {
  const out: unknown[] = [];
  for (const [f, t] of RANGES) out.push(await read(key, `/api/v1/analytics/overview?from=${f}&to=${t}`));
  for (const id of campaigns) out.push(await read(key, `/api/v1/analytics/campaigns/${id}`));
  return out;
}

/** What else a rebuild re-derives: the campaign list and every campaign's links. */
async function listAndLinks(key: string, campaigns: string[]) {
  const out: unknown[] = [(await rest(svc, "GET", "/api/v1/analytics/campaigns?page_size=200", { key })).body];
  for (const id of campaigns) out.push((await rest(svc, "GET", `/api/v1/analytics/campaigns/${id}/links`, { key })).body);
  return out;
}

/** Attribution for a purchase an hour after each of the clicks, from the store. */
async function attributions(account: string, clicks: Ev[]) {
  return Promise.all(
    clicks.map((c) => svc.store.clicks.lastClickCampaign(account, c.contact_email.toLowerCase(), new Date(c.ms + 3_600_000 - 168 * 3_600_000), new Date(c.ms + 3_600_000))),
  );
}

/** A read of the account answers 503, saying its stored data is not counted yet (after waiting for it up to 2 s). */
async function expectNotCounted(key: string): Promise<void> {
  const r = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-03-10&to=2026-03-10", { key });
  expect(r.status, JSON.stringify(r.body)).toBe(503);
  expect(r.body.error.message).toMatch(/not counted yet/);
}

function expected(stored: Ev[], campaigns: string[], reg: Map<string, any>) {
  return [
    ...RANGES.map(([f, t]) => ({ success: true, period: { from: isoSec(at(f)), to: isoSec(at(t)) }, metrics: refOverview(stored, at(f), at(t)) })),
    ...campaigns.map((id) => refCampaign(stored, id, reg.get(id)) ?? { success: false, error: { code: "not_found", message: `campaign ${id} not found` } }),
  ];
}

test("a crash after the raw write: reads answer 503 until the repair, a client retry is all duplicates, the repair makes it exact", async () => {
  const { account, key } = await svc.newAccount();
  const s = generate(mulberry32(77), "rep");
  const events = s.events.filter((e) => e.id !== undefined);
  const ledger = new Ledger();
  const cut = Math.floor(events.length * 0.6);
  const first = events.slice(0, cut);
  const crashed = events.slice(cut);
  expect(await post(svc, key, first)).toEqual(ledger.arrive(first));
  const healthy = [...ledger.stored];

  await expect(svc.store.ingest.record(account, crashed.map(input), new Date(), "after-raw")).rejects.toThrow(/simulated failure/);
  ledger.arrive(crashed); // the raw events are stored
  // The derived data misses the crashed batch: the stored counts are the healthy ones. A read
  // shows no number without it: its journal entry is due, so reads wait for the repair (none
  // runs here) and answer 503 rather than a count that may miss a batch answered 200.
  await expectNotCounted(key);
  const clicks = crashed.filter((e) => e.type === "click" && e.campaign_id).slice(0, 12);
  expect(clicks.length).toBeGreaterThan(0);
  const attributed = (stored: Ev[]) => clicks.map((c) => refAttribution(stored, c.contact_email.toLowerCase(), c.ms + 3_600_000));
  expect(await attributions(account, clicks)).toEqual(attributed(healthy));
  expect(attributed(healthy)).not.toEqual(attributed(ledger.stored));

  // The client retries the batch: every event is a duplicate, stored uncounted by the failed
  // batch. The retry is answered once they are counted: here (this process runs no repair loop)
  // once the repair below has run, not before.
  let retried = false;
  const retry = post(svc, key, crashed).finally(() => (retried = true));

  // The failed batch's entry is due at once (its writer gave it up); it is repaired once.
  // (If giving it up failed too, it lapses after the ttl: wait for that at most.)
  for (let i = 0; i < 70 && !(await svc.store.ingest.dueAccounts()).includes(account); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await svc.store.ingest.dueAccounts()).toEqual([account]);
  expect(retried).toBe(false);
  await expectNotCounted(key);
  expect(await svc.store.ingest.repairDue()).toEqual([account]);
  expect(await retry).toEqual({ accepted: 0, duplicates: crashed.length });
  expect(await snapshot(key, s.campaigns)).toStrictEqual(expected(ledger.stored, s.campaigns, new Map()));
  expect(await attributions(account, clicks)).toEqual(attributed(ledger.stored));
  expect(await svc.store.ingest.repairDue()).toEqual([]);

  // Ingest after the repair keeps counting exactly (a later batch with earlier opens included).
  const more: Ev[] = crashed.slice(0, 50).map((e, i) => ({ ...e, id: `after-${i}`, ms: e.ms - 3_600_000 }));
  expect(await post(svc, key, more)).toEqual(ledger.arrive(more));
  expect(await snapshot(key, s.campaigns)).toStrictEqual(expected(ledger.stored, s.campaigns, new Map()));
});

test("rebuild of a healthy account leaves every metric unchanged", async () => {
  const { account, key } = await svc.newAccount();
  const s = generate(mulberry32(78), "reb");
  const ledger = new Ledger();
  for (const batch of s.batches) expect(await post(svc, key, batch)).toEqual(ledger.arrive(batch));
  for (const [id, reg] of s.registered) expect((await rest(svc, "PUT", `/api/v1/campaigns/${id}`, { key, body: reg })).status).toBe(200);
  // Purchases (attributed and not): the rebuild recounts them from the stored purchases.
  const clicks = ledger.stored.filter((e) => e.type === "click" && e.campaign_id);
  for (const [i, c] of clicks.slice(0, 8).entries()) {
    const body = { contact_email: c.contact_email, amount: [0.1, 0.2, 19.99][i % 3], currency: i % 2 ? "EUR" : "USD", order_id: `reb-${i}`, timestamp: isoSec(c.ms + 3_600_000) };
    expect((await rest(svc, "POST", "/api/v1/track/purchase", { key, body })).status).toBe(200);
  }
  const before = [...(await snapshot(key, s.campaigns)), ...(await listAndLinks(key, [...s.campaigns, ...s.registered.keys()]))];
  expect((before[0] as OverviewJson).metrics.purchases).toBe(8);
  await svc.store.ingest.rebuild(account);
  expect([...(await snapshot(key, s.campaigns)), ...(await listAndLinks(key, [...s.campaigns, ...s.registered.keys()]))]).toStrictEqual(before);
  await svc.store.ingest.rebuild(account);
  expect([...(await snapshot(key, s.campaigns)), ...(await listAndLinks(key, [...s.campaigns, ...s.registered.keys()]))]).toStrictEqual(before);
}, HEAVY_TEST_MS);

test("a purchase stored but not yet counted (a crash in between) is counted by the repair of its journal entry", async () => {
  const { account, key } = await svc.newAccount();
  const ts = new Date("2026-03-10T10:00:00Z");
  // What a crash right after the purchase's insert leaves: the purchase, its journal entry, no counts.
  await svc.store.purchases.insert(account, { eventId: "evt_crash", email: "c@example.com", amount: 12.34, currency: "USD", items: [], timestamp: ts, attributedCampaignId: null }, ts);
  await svc.store.db.collection<{ _id: string; a: string; at: Date }>("ingest_batches").insertOne({ _id: `crash-${account}`, a: account, at: ts });
  // A read of an account while a rebuild runs answers 503 by design: ask again until it is over
  // (up to 30 s: a rebuild waits its turn on the one SQLite writer, which a loaded machine slows).
  const overview = async () => {
    for (let i = 0; ; i++) {
      const r = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-03-10&to=2026-03-10", { key });
      if (r.status !== 503 || i === 300) {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        return r.body.metrics;
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  };
  // Until the repair, reads answer 503: the stored purchase is not counted yet.
  await expectNotCounted(key);
  expect(await svc.store.ingest.repairDue()).toContain(account);
  expect(await overview()).toMatchObject({ purchases: 1, conversions: 0, revenue: [{ currency: "USD", amount: 12.34 }], attributed_revenue: [] });
});

test("rollup documents another instance deleted are created again, not lost, by the next batch", async () => {
  const { account, key } = await svc.newAccount();
  const sends = (n: number, from: number, tag: string) =>
    Array.from({ length: n }, (_, i) => ({
      id: `${tag}-${i}`,
      type: "send",
      contact_email: `c${i}@example.com`,
      campaign_id: "camp_gone",
      timestamp: new Date(at("2026-03-10T08:00:00Z") + from + i * 60_000).toISOString(),
    }));
  const range = "from=2026-03-10&to=2026-03-10";
  const sendsIn = async () => (await rest(svc, "GET", `/api/v1/analytics/overview?${range}`, { key })).body.metrics.sends;
  expect((await rest(svc, "POST", "/api/v1/ingest/email-events", { key, body: { events: sends(30, 0, "a") } })).body.accepted).toBe(30);
  expect(await sendsIn()).toBe(30);
  // This service now remembers the day and campaign documents as existing; another instance
  // (its own Store on the same database) deletes them, as the first step of its rebuild does.
  const other = await Store.open(inject("mongoUri"), svc.store.db.databaseName);
  try {
    await other.rollups.clearAccount(account);
  } finally {
    await other.close();
  }
  expect(await sendsIn()).toBe(0);
  expect((await rest(svc, "POST", "/api/v1/ingest/email-events", { key, body: { events: sends(20, 3_600_000, "b") } })).body.accepted).toBe(20);
  expect(await sendsIn()).toBe(20);
  const camp = (await rest(svc, "GET", "/api/v1/analytics/campaigns/camp_gone", { key })).body;
  expect(camp.metrics.total_sent).toBe(20);
});

test("derived data older than ROLLUP_VERSION is queued for rebuild once, and the next repair makes it exact", async () => {
  const { account, key } = await svc.newAccount();
  const s = generate(mulberry32(79), "old");
  const ledger = new Ledger();
  for (const batch of s.batches) expect(await post(svc, key, batch)).toEqual(ledger.arrive(batch));
  const clicks = ledger.stored.filter((e) => e.type === "click" && e.campaign_id).slice(0, 12);
  const attributed = () => clicks.map((c) => refAttribution(ledger.stored, c.contact_email.toLowerCase(), c.ms + 3_600_000));
  // A database written before the per-second and click-day collections existed.
  await svc.store.db.collection("account_hour_seconds").deleteMany({ a: account });
  await svc.store.db.collection("contact_click_days").deleteMany({ a: account });
  await svc.store.db.collection("schema_meta").deleteMany({});
  expect(await snapshot(key, s.campaigns)).not.toStrictEqual(expected(ledger.stored, s.campaigns, new Map()));
  expect(await attributions(account, clicks)).not.toEqual(attributed());

  expect((await migrate(svc.store)).rebuild).toContain(account);
  expect(await migrate(svc.store)).toMatchObject({ from: ROLLUP_VERSION, steps: [], rebuild: [] });
  expect(await svc.store.ingest.repairDue()).toContain(account);
  expect(await snapshot(key, s.campaigns)).toStrictEqual(expected(ledger.stored, s.campaigns, new Map()));
  expect(await attributions(account, clicks)).toEqual(attributed());
  expect(await svc.store.ingest.repairDue()).toEqual([]);
}, HEAVY_TEST_MS);

test("a database one version behind runs just the steps after its version, each recorded", async () => {
  const meta = svc.store.db.collection<{ _id: string; v: number }>("schema_meta");
  await meta.updateOne({ _id: "rollups" }, { $set: { v: ROLLUP_VERSION - 1 } }, { upsert: true });
  const r = await migrate(svc.store);
  expect(r.from).toBe(ROLLUP_VERSION - 1);
  expect(r.steps).toEqual(MIGRATIONS.filter((m) => m.version === ROLLUP_VERSION).map((m) => `${m.version}: ${m.what}`));
  expect((await meta.findOne({ _id: "rollups" }))?.v).toBe(ROLLUP_VERSION);
  MIGRATIONS.forEach((m, i) => expect(m.version).toBe(i + 2)); // one step per version, in order
  await svc.store.ingest.repairDue();
});

test("two instances migrating at once: one runs the steps, the other waits and finds them done (in-place steps never count twice)", async () => {
  const { account, key } = await svc.newAccount();
  const s = generate(mulberry32(83), "twice");
  const ledger = new Ledger();
  for (const batch of s.batches) expect(await post(svc, key, batch)).toEqual(ledger.arrive(batch));
  const quarters = () => svc.store.db.collection("account_hour_quarters").find({ a: account }).sort({ _id: 1 }).toArray();
  const before = await quarters();
  expect(before.length).toBeGreaterThan(0);
  // Before the quarter-hour step (m004), which clears an account's quarters and adds them up again.
  const meta = svc.store.db.collection<{ _id: string; v: number }>("schema_meta");
  await meta.updateOne({ _id: "rollups" }, { $set: { v: 3 } }, { upsert: true });
  const outcomes = await Promise.all([migrate(svc.store), migrate(svc.store)]);
  expect(outcomes.map((o) => o.steps.length > 0).sort()).toEqual([false, true]);
  // Counters as read (a zero is no count, whether stored or absent).
  const counts = (docs: Document[]) => docs.map((d) => [d._id, [...unpack(d.p as string[])].sort()]);
  expect(counts(await quarters())).toEqual(counts(before));
  expect((await meta.findOne({ _id: "rollups" }))?.v).toBe(ROLLUP_VERSION);
  await svc.store.ingest.repairDue();
  expect(await snapshot(key, s.campaigns)).toStrictEqual(expected(ledger.stored, s.campaigns, new Map()));
}, HEAVY_TEST_MS);

/**
 * As a migration does: five accounts, one batch each, queued for rebuild at once; a re-send waits
 * (whenCounted) on the one a pass in queue order would repair last, and the pass must start
 * with it. `countFirst`: each batch counted before the rebuild is queued; else still in the
 * backlog, so the whenCounted counts the awaited account's now, under its lease, beside the pass
 * (where writers run concurrently): a pass that found that lease busy skipped the account,
 * leaving it behind the whole queue.
 */
async function repairTakesAwaitedFirst(tag: string, countFirst: boolean): Promise<void> {
  const accounts: string[] = [];
  for (let i = 0; i < 5; i++) {
    const { account, key } = await svc.newAccount();
    const sends = [{ id: `${tag}${i}`, type: "send", contact_email: `${tag}${i}@example.com`, campaign_id: `camp_${tag}`, timestamp: "2026-03-10T08:00:00Z" }];
    expect((await rest(svc, "POST", "/api/v1/ingest/email-events", { key, body: { events: sends } })).body.accepted).toBe(1);
    if (countFirst) await svc.store.ingest.counted(account, 10_000);
    accounts.push(account);
  }
  await svc.store.ingest.queueRebuild(accounts, `queued-${tag}-${Date.now()}`);
  const due = await svc.store.ingest.dueAccounts();
  const waitedOn = due[due.length - 1]!;
  expect(accounts).toContain(waitedOn);
  const counted = svc.store.ingest.whenCounted(waitedOn);
  const started: string[] = [];
  const record = (account: string, phase: string) => phase === "start" && started.push(account);
  await svc.store.ingest.repairDue(record);
  expect(started[0]).toBe(waitedOn);
  // The others may wait for a later pass: a pass skips an account whose lease the backlog's
  // own counting holds at that moment (only the awaited one's lease is waited for).
  for (let pass = 0; pass < 20 && (await svc.store.ingest.dueAccounts()).some((a) => accounts.includes(a)); pass++) {
    await new Promise((r) => setTimeout(r, 100));
    await svc.store.ingest.repairDue(record);
  }
  expect(started).toEqual(expect.arrayContaining(accounts));
  await counted;
}

test("a repair pass takes first the account a re-send is waiting on (whenCounted), not the queue's order", () => repairTakesAwaitedFirst("q", true), HEAVY_TEST_MS);

test("a repair pass takes first the account a re-send is waiting on, also while the re-send's own counting holds its lease", () =>
  repairTakesAwaitedFirst("r", false), HEAVY_TEST_MS);
