// The campaign list in bounded pages: an account of more campaigns than a chunk holds, registered,
// seen only in events, and moved between statuses and send times (chunks split and empty),
// pages of every size and status equal the reference order; no chunk holds more than CHUNK_MAX;
// migration 7 converts version 6's one list document per account in place, again after a crash.
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { listOrder, type ListPosition } from "../../src/storage/campaign-list.js";
import { m007 } from "../../src/storage/migrations/007-list-pages.js";
import { MIGRATIONS, migrate } from "../../src/storage/migrations/index.js";
import { CHUNK_MAX } from "../../src/storage/sorted-pages.js";
import { Store } from "../../src/storage/store.js";
import { rest, startService, type TestService } from "../helpers/service.js";
import { HEAVY_TEST_MS } from "../helpers/heavy.js";
import { at, chunk, mulberry32, postAll, type Ev } from "./lib.js";
import type { ListEntryJson } from "../helpers/rest-bodies.js";

let svc: TestService;
let account: string;
let key: string;
const STATUSES = ["draft", "scheduled", "sending", "sent", "cancelled"] as const;
/** The model: per campaign, its registration (if any) and first send event (if any). */
const model = new Map<string, { name?: string; status?: string; sentAt?: number; firstSend?: number }>();

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: n }, async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t);
  }));
}

async function register(rnd: () => number, ids: string[]) {
  await pool(ids, 6, async (id) => {
    const status = STATUSES[Math.floor(rnd() * STATUSES.length)]!;
    // Many share a send time: ties go by id.
    const sentAt = rnd() < 0.7 ? at("2026-01-01T00:00:00Z") + Math.floor(rnd() * 40) * 3_600_000 : undefined;
    const body = { name: `C ${id}`, status, ...(sentAt !== undefined ? { sent_at: new Date(sentAt).toISOString() } : {}) };
    const r = await rest(svc, "PUT", `/api/v1/campaigns/${id}`, { key, body });
    expect(r.status).toBe(200);
    model.set(id, { ...model.get(id), name: body.name, status, sentAt });
  });
}

function reference(status?: string): string[] {
  const pos = (id: string): ListPosition => {
    const m = model.get(id)!;
    return [m.status !== undefined ? (m.sentAt ?? m.firstSend ?? null) : (m.firstSend ?? null), id];
  };
  return [...model.keys()].filter((id) => status === undefined || (model.get(id)!.status ?? "unknown") === status).map(pos).sort(listOrder).map(([, id]) => `${id} ${model.get(id)!.status ?? "unknown"} ${model.get(id)!.name ?? id}`);
}

async function allPages(query: string): Promise<string[]> {
  const ids: string[] = [];
  let token = "";
  for (let i = 0; i < 1000; i++) {
    const r = await rest(svc, "GET", `/api/v1/analytics/campaigns?${query}${token ? `&page_token=${token}` : ""}`, { key });
    expect(r.status).toBe(200);
    // What the page shows of each, beside its order: a registration that moves nothing changes it too.
    ids.push(...r.body.campaigns.map((c: ListEntryJson) => `${c.campaign.id} ${c.campaign.status} ${c.campaign.name}`));
    token = r.body.next_page_token;
    if (!token) return ids;
  }
  throw new Error("no last page");
}

async function expectListsEqualReference() {
  for (const size of [7, 50, 200]) expect(await allPages(`page_size=${size}`), `page_size=${size}`).toEqual(reference());
  for (const status of [...STATUSES, "unknown"]) expect(await allPages(`status=${status}&page_size=37`), status).toEqual(reference(status));
}

const chunksOf = (a: string) => svc.store.campaignList.pages.find({ a, e: { $exists: true } }).toArray();

beforeAll(async () => {
  svc = await startService({ now: new Date("2026-04-06T12:00:00Z") });
  ({ account, key } = await svc.newAccount());
  const rnd = mulberry32(11);
  await register(rnd, Array.from({ length: 260 }, (_, i) => `c${String(i).padStart(3, "0")}`));
  // Seen only in events (some sent, some not), and events for registered ones.
  const events: Ev[] = [];
  for (let i = 0; i < 80; i++) {
    const id = i < 60 ? `e${String(i).padStart(2, "0")}` : `c${String(i * 3).padStart(3, "0")}`;
    const send = rnd() < 0.8;
    const ms = at("2026-01-01T00:00:00Z") + Math.floor(rnd() * 40) * 3_600_000;
    events.push({ id: `ev${i}`, type: send ? "send" : "open", campaign_id: id, contact_email: `p${i}@ex.io`, ms });
    const m = model.get(id) ?? {};
    if (send) m.firstSend = Math.min(m.firstSend ?? Infinity, ms);
    model.set(id, m);
  }
  await postAll(svc, key, chunk(events, 40));
}, 120_000);
afterAll(() => svc.close());

test("pages of every size and status equal the reference order; chunks split and stay bounded", async () => {
  await expectListsEqualReference();
  const chunks = await chunksOf(account);
  expect(chunks.length).toBeGreaterThan(3);
  for (const c of chunks) expect(c.e!.length).toBeLessThanOrEqual(CHUNK_MAX);
});

test("campaigns moved between statuses and send times: the views follow, an emptied view goes", async () => {
  const rnd = mulberry32(12);
  await register(rnd, [...model.keys()].filter((id) => id.startsWith("c") && rnd() < 0.5));
  // Every draft leaves: its view empties out.
  await pool([...model.keys()].filter((id) => model.get(id)!.status === "draft"), 6, async (id) => {
    const r = await rest(svc, "PUT", `/api/v1/campaigns/${id}`, { key, body: { name: id.toUpperCase(), status: "cancelled" } });
    expect(r.status).toBe(200);
    model.set(id, { ...model.get(id), name: id.toUpperCase(), status: "cancelled", sentAt: undefined });
  });
  // Renamed only: same status and send time, so nothing moves; the pages show the new name.
  for (const id of [...model.keys()].filter((id) => model.get(id)!.status === "sent").slice(0, 5)) {
    const m = model.get(id)!;
    const body = { name: `Renamed ${id}`, status: "sent", ...(m.sentAt !== undefined ? { sent_at: new Date(m.sentAt).toISOString() } : {}) };
    expect((await rest(svc, "PUT", `/api/v1/campaigns/${id}`, { key, body })).status).toBe(200);
    model.set(id, { ...m, name: body.name });
  }
  await expectListsEqualReference();
  const chunks = await chunksOf(account);
  for (const c of chunks) expect(c.e!.length).toBeLessThanOrEqual(CHUNK_MAX);
  // Keys per view: every campaign once in "all" and once in its status's view.
  expect(chunks.reduce((s, c) => s + c.e!.length, 0)).toBe(2 * model.size);
  expect(chunks.filter((c) => c._id.startsWith(`${account}|draft|`))).toEqual([]);
}, HEAVY_TEST_MS);

test("migration 7 converts version 6's one list document per account in place, idempotently", async () => {
  // The list as version 6 stored it, from the entries.
  const entries = await svc.store.campaignList.entries.find({ a: account }).toArray();
  const e = Object.fromEntries(entries.map((x) => [`c${x.i}`, { k: 1, ...(x.f ? { f: x.f } : {}), ...(x.r ? { r: x.r } : {}) }]));
  const old = svc.store.db.collection("campaign_lists");
  await old.insertOne({ _id: account as never, e });
  await svc.store.campaignList.entries.deleteMany({ a: account });
  await svc.store.campaignList.pages.deleteMany({ a: account });
  expect(await allPages("page_size=200")).toEqual([]);

  const other = await Store.open(inject("mongoUri"), svc.store.db.databaseName);
  try {
    await other.db.collection<{ _id: string; v: number }>("schema_meta").updateOne({ _id: "rollups" }, { $set: { v: 6 } }, { upsert: true });
    expect(await migrate(other)).toMatchObject({ from: 6, steps: MIGRATIONS.filter((m) => m.version > 6).map((m) => `${m.version}: ${m.what}`), rebuild: [] });
    await expectListsEqualReference();
    expect(await old.countDocuments({})).toBe(0);
    // A crash after the account was converted but before its old document went: again, same list.
    await old.insertOne({ _id: account as never, e });
    expect(await m007.run(other)).toEqual([]);
    await expectListsEqualReference();
    expect((await chunksOf(account)).reduce((s, c) => s + c.e!.length, 0)).toBe(2 * model.size);
  } finally {
    await other.close();
  }
}, HEAVY_TEST_MS);
