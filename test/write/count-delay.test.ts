// With counting trailing the 200 (a count delay), a batch answered is in the very next read, over
// REST and Connect, and in the next purchase's attribution: the read (or purchase) counts the
// account's backlog first. Checked while the batch is provably not counted yet (its journal entry
// open, its campaign's counts not written).
import { AnalyticsService } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import { MongoNetworkError } from "mongodb";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bearer, client, connectTransport, rest, startService, type TestService } from "../helpers/service.js";
import { at, isoSec, post, refCampaign, refOverview, wire, type Ev } from "../read/lib.js";

let svc: TestService;
beforeAll(async () => {
  // Longer than this test takes between a batch and its read: only the read can count it.
  svc = await startService({ now: new Date("2026-04-06T12:00:00Z"), countDelayMs: 1000 });
});
afterAll(() => svc.close());

/** Whether the account's derived counts hold nothing yet, and its journal holds open entries. */
async function notCounted(account: string): Promise<boolean> {
  const open = await svc.store.db.collection("ingest_batches").countDocuments({ a: account });
  const counted = await svc.store.db.collection("campaign_stats").countDocuments({ a: account });
  return open > 0 && counted === 0;
}

const t0 = at("2026-03-02T10:00:00Z");
const events: Ev[] = [
  { id: "s1", type: "send", contact_email: "a@example.com", campaign_id: "spring", ms: t0 },
  { id: "s2", type: "send", contact_email: "b@example.com", campaign_id: "spring", ms: t0 + 1000 },
  { id: "o1", type: "open", contact_email: "a@example.com", campaign_id: "spring", ms: t0 + 60_000 },
  { id: "o2", type: "open", contact_email: "a@example.com", campaign_id: "spring", ms: t0 + 90_000, machine: true },
  { id: "c1", type: "click", contact_email: "a@example.com", campaign_id: "spring", ms: t0 + 120_000, url: "https://example.com/x" },
];

test("a batch answered 200 is in the next read (REST and Connect), counted by that read", async () => {
  const { account, key } = await svc.newAccount();
  expect(await post(svc, key, events)).toEqual({ accepted: events.length, duplicates: 0 });
  expect(await notCounted(account)).toBe(true);
  const from = "2026-03-01T00:00:00Z";
  const to = "2026-03-31T23:59:59Z";
  const overview = await rest(svc, "GET", `/api/v1/analytics/overview?from=${from}&to=${to}`, { key });
  expect(overview.status).toBe(200);
  expect(overview.body).toStrictEqual({ success: true, period: { from: isoSec(at(from)), to: isoSec(at(to)) }, metrics: refOverview(events, at(from), at(to)) });

  const more: Ev[] = [{ id: "o3", type: "open", contact_email: "b@example.com", campaign_id: "spring", ms: t0 + 3_600_000 }];
  expect(await post(svc, key, more)).toEqual({ accepted: 1, duplicates: 0 });
  const open = await svc.store.db.collection("ingest_batches").countDocuments({ a: account });
  expect(open).toBe(1);
  const metrics = await client(AnalyticsService, connectTransport(svc)).getCampaignMetrics({ id: "spring" }, bearer(key));
  const want = refCampaign([...events, ...more], "spring")!;
  expect(metrics.metrics!.totalOpened).toBe(BigInt(want.metrics.total_opened));
  expect(metrics.metrics!.uniqueOpens).toBe(BigInt(want.metrics.unique_opens));
  expect(metrics.metrics!.humanOpens).toBe(BigInt(want.metrics.human_opens));
  expect(await svc.store.db.collection("ingest_batches").countDocuments({ a: account })).toBe(0);
});

test("a purchase right after the 200 of its click is credited to the click's campaign", async () => {
  const { account, key } = await svc.newAccount();
  expect(await post(svc, key, events)).toEqual({ accepted: events.length, duplicates: 0 });
  expect(await notCounted(account)).toBe(true);
  const bought = await rest(svc, "POST", "/api/v1/track/purchase", {
    key,
    body: { contact_email: "a@example.com", amount: 12.5, currency: "EUR", order_id: "o-1", timestamp: new Date(t0 + 3_600_000).toISOString() },
  });
  expect(bought.status, JSON.stringify(bought.body)).toBe(200);
  expect(bought.body.attributed_campaign_id).toBe("spring");
});

test("an account whose lease another holder keeps holds up no other account's reads, and its own reads answer within their wait", async () => {
  const one = await svc.newAccount();
  const two = await svc.newAccount();
  // `held` sorts first: a counting of the whole backlog meets it before `free`.
  const [held, free] = one.account < two.account ? [one, two] : [two, one];
  // Another holder has held's lease (an instance rebuilding it, or one killed -9 whose lease has
  // not lapsed yet): held's counting must wait, for up to 4 x LEASE_TTL_MS.
  const leases = svc.store.db.collection<{ _id: string; holder: string | null; until: Date; rebuilding: boolean; rebuilds: number }>("account_leases");
  await leases.insertOne({ _id: held.account, holder: "elsewhere#1", until: new Date(Date.now() + 60_000), rebuilding: false, rebuilds: 0 });
  const from = "2026-03-01T00:00:00Z";
  const to = "2026-03-31T23:59:59Z";
  const overview = (key: string) => rest(svc, "GET", `/api/v1/analytics/overview?from=${from}&to=${to}`, { key });
  const timed = async (key: string) => {
    const t = performance.now();
    const r = await overview(key);
    return { ...r, ms: performance.now() - t };
  };
  const want = (evs: Ev[]) => ({ success: true, period: { from: isoSec(at(from)), to: isoSec(at(to)) }, metrics: refOverview(evs, at(from), at(to)) });

  expect(await post(svc, held.key, events)).toEqual({ accepted: events.length, duplicates: 0 });
  expect(await post(svc, free.key, events)).toEqual({ accepted: events.length, duplicates: 0 });
  // The count delay (1 s) runs out: the backlog's counting takes both accounts and meets held's lease.
  await new Promise((r) => setTimeout(r, 1300));
  const first = await timed(free.key);
  expect(first.status, JSON.stringify(first.body)).toBe(200);
  expect(first.body).toStrictEqual(want(events));
  expect(first.ms).toBeLessThan(1500);

  const heldEvents = [...events];
  // (On a single-writer database, held's counting waits for its lease in the writer's turn, as
  // a batch there does: no batch is written meanwhile.)
  if (svc.store.caps.concurrentWriters) {
    // A batch of free answered while held's counting still waits: the next read shows it, at once.
    const more: Ev[] = [{ id: "o9", type: "open", contact_email: "b@example.com", campaign_id: "spring", ms: t0 + 7_200_000 }];
    expect(await post(svc, free.key, more)).toEqual({ accepted: 1, duplicates: 0 });
    const second = await timed(free.key);
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body).toStrictEqual(want([...events, ...more]));
    expect(second.ms).toBeLessThan(1500);
    // One of held's own, waiting in the backlog: the read counts it and meets the lease.
    expect(await post(svc, held.key, more)).toEqual({ accepted: 1, duplicates: 0 });
    heldEvents.push(...more);
  }
  // held's reads cannot be counted yet: 503 within the read's wait (2 s), not the lease's (20 s).
  const blocked = await timed(held.key);
  expect(blocked.status).toBe(503);
  expect(blocked.ms).toBeLessThan(3500);

  // The other holder lets go: held's batches are counted, each once.
  await leases.deleteOne({ _id: held.account });
  let last = await overview(held.key);
  for (let i = 0; i < 50 && last.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 200));
    last = await overview(held.key);
  }
  expect(last.status, JSON.stringify(last.body)).toBe(200);
  expect(last.body).toStrictEqual(want(heldEvents));
}, 60_000);

test("a read during a rebuild answers 503 at once, without first waiting for the entries the rebuild will remove", async () => {
  const { account, key } = await svc.newAccount();
  expect(await post(svc, key, events)).toEqual({ accepted: events.length, duplicates: 0 });
  await svc.store.ingest.counted(account, 10_000);
  // A rebuild under way: the account's lease held with the rebuild flag, its due entry still open.
  await svc.store.ingest.queueRebuild([account], `test-${account}`);
  const lease = (await svc.store.ingest.leases.tryAcquire(account))!;
  await svc.store.ingest.leases.beginRebuild(lease);
  try {
    const started = performance.now();
    const r = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-03-01&to=2026-03-31", { key });
    expect(r.status).toBe(503);
    expect(r.body.error.message).toMatch(/being rebuilt/);
    expect(performance.now() - started).toBeLessThan(1500);
  } finally {
    await svc.store.ingest.leases.endRebuild(lease);
    await svc.store.ingest.leases.release(lease);
  }
});

test("batches of an account answered within the delay share one journal entry; one cut short mid-write, then re-sent, leaves every number exact", async () => {
  const { account, key } = await svc.newAccount();
  const journal = () => svc.store.db.collection("ingest_batches").find({ a: account }).toArray();
  const mk = (n: number, tag: string, from: number): Ev[] =>
    Array.from({ length: n }, (_, i) => ({
      id: `${tag}${i}`,
      type: i % 3 === 0 ? "send" : i % 3 === 1 ? "open" : "click",
      contact_email: `c${i % 7}@example.com`,
      campaign_id: "summer",
      ms: from + i * 60_000,
      ...(i % 3 === 2 ? { url: `https://example.com/${i % 4}` } : {}),
      ...(i % 5 === 0 && i % 3 !== 0 ? { machine: true } : {}),
    }));
  const [a, b, c] = [mk(12, "a", t0), mk(12, "b", t0 - 3_600_000), mk(10, "c", t0 + 3_600_000)];
  expect(await post(svc, key, a)).toEqual({ accepted: 12, duplicates: 0 });
  expect(await post(svc, key, b)).toEqual({ accepted: 12, duplicates: 0 });
  // One entry for both (the second joined the first's), and every stored event names it.
  // (A single writer only: where writers are concurrent each batch has its own entry.)
  const entries = await journal();
  expect(entries).toHaveLength(svc.store.caps.concurrentWriters ? 2 : 1);
  expect((await svc.store.db.collection("email_events").distinct("b", { a: account })).sort()).toEqual(entries.map((e) => e._id).sort());

  // The third is cut short after storing half its events, as a connection lost mid-write.
  const events = svc.store.emailEvents;
  const insertNew = events.insertNew.bind(events);
  events.insertNew = async (docs) => {
    events.insertNew = insertNew;
    await insertNew(docs.slice(0, 5));
    throw new MongoNetworkError("connection cut mid-write (test)");
  };
  expect((await rest(svc, "POST", "/api/v1/ingest/email-events", { key, body: { events: c.map(wire) } })).status).toBe(503);
  expect(events.insertNew).toBe(insertNew);

  // Re-sent: half duplicates, answered once the entry it joined (given up, due) is repaired.
  const retry = post(svc, key, c);
  const settled = retry.then(() => true, () => true);
  while (!(await Promise.race([settled, new Promise<boolean>((r) => setTimeout(() => r(false), 100))]))) await svc.store.ingest.repairDue();
  expect(await retry).toEqual({ accepted: 5, duplicates: 5 });

  const all = [...a, ...b, ...c];
  const from = "2026-03-01T00:00:00Z";
  const to = "2026-03-31T23:59:59Z";
  let overview = await rest(svc, "GET", `/api/v1/analytics/overview?from=${from}&to=${to}`, { key });
  for (let i = 0; i < 50 && overview.status !== 200; i++) {
    await svc.store.ingest.repairDue();
    overview = await rest(svc, "GET", `/api/v1/analytics/overview?from=${from}&to=${to}`, { key });
  }
  expect(overview.body).toStrictEqual({ success: true, period: { from: isoSec(at(from)), to: isoSec(at(to)) }, metrics: refOverview(all, at(from), at(to)) });
  const campaign = await rest(svc, "GET", "/api/v1/analytics/campaigns/summer", { key });
  expect(campaign.body).toStrictEqual({ success: true, ...refCampaign(all, "summer") });
  expect(await journal()).toEqual([]);
});

test("a batch joins a waiting entry only while that entry cannot have lapsed (inserted under half a ttl ago)", async () => {
  // A ttl of 1 s and a count delay of 5 s: the first batch still waits when the second comes.
  const short = await startService({ now: new Date("2026-04-06T12:00:00Z"), countDelayMs: 5000, leaseTtlMs: 1000 });
  try {
    if (short.store.caps.concurrentWriters) return; // entries are never joined there
    const { account, key } = await short.newAccount();
    const entries = () => short.store.db.collection("ingest_batches").countDocuments({ a: account });
    const send = (id: string, ms: number): Ev[] => [{ id, type: "send", contact_email: `${id}@example.com`, campaign_id: "spring", ms }];
    expect(await post(short, key, send("j1", t0))).toEqual({ accepted: 1, duplicates: 0 });
    expect(await post(short, key, send("j2", t0 + 1000))).toEqual({ accepted: 1, duplicates: 0 });
    expect(await entries()).toBe(1); // joined: the entry is fresh
    // Past half the ttl: had its renewals failed, the entry could lapse and a repair remove it
    // before this batch's events land, leaving them answered 200 under no entry.
    await new Promise((r) => setTimeout(r, 600));
    expect(await post(short, key, send("j3", t0 + 2000))).toEqual({ accepted: 1, duplicates: 0 });
    expect(await entries()).toBe(2);
    const overview = await rest(short, "GET", "/api/v1/analytics/overview?from=2026-03-01&to=2026-03-31", { key });
    expect(overview.body.metrics.sends).toBe(3);
    expect(await entries()).toBe(0);
  } finally {
    await short.close();
  }
});

test("a journal entry whose insert landed but answered an error is given up at once, not renewed forever", async () => {
  const { account, key } = await svc.newAccount();
  // The insert lands and its answer is lost, as a connection cut after the write.
  const col = (svc.store.ingest as unknown as { journal: { col: { insertMany: (d: unknown[]) => Promise<unknown> } } }).journal.col;
  const insertMany = col.insertMany.bind(col);
  col.insertMany = async (docs) => {
    col.insertMany = insertMany;
    await insertMany(docs);
    throw new MongoNetworkError("answer lost after the write (test)");
  };
  const body = { events: [wire({ id: "lost1", type: "send", contact_email: "a@example.com", campaign_id: "spring", ms: t0 })] };
  expect((await rest(svc, "POST", "/api/v1/ingest/email-events", { key, body })).status).toBe(503);
  expect(col.insertMany).toBe(insertMany);
  // Due now (given up), so the account's repair clears it, and its reads are not held up for good.
  expect(await svc.store.ingest.dueAccounts()).toContain(account);
  await svc.store.ingest.repairDue();
  expect(await svc.store.db.collection("ingest_batches").countDocuments({ a: account })).toBe(0);
  expect(await post(svc, key, [{ id: "lost1", type: "send", contact_email: "a@example.com", campaign_id: "spring", ms: t0 }])).toEqual({ accepted: 1, duplicates: 0 });
  const overview = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-03-01&to=2026-03-31", { key });
  expect(overview.body.metrics.sends).toBe(1);
});
