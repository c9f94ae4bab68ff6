// A database written before layout 2 of `message_firsts` (src/storage/first-marks.ts) holds each
// message's first human open (click) in a document of its own. Such messages keep counting
// exactly as more events arrive, earlier and later ones, people's and machines', beside messages
// stored in layout 2; a rebuild then stores every message in layout 2, with the same numbers.
import { afterAll, beforeAll, expect, test } from "vitest";
import { rest, startService, type TestService } from "../helpers/service.js";
import { HEAVY_TEST_MS } from "../helpers/heavy.js";
import { StaleMarksError } from "../../src/storage/first-marks.js";
import { CLOCK, generate } from "./generator.js";
import { Ledger, at, chunk, isoSec, mulberry32, post, refCampaign, refOverview, shuffle, type Ev } from "./lib.js";

let svc: TestService;
beforeAll(async () => {
  svc = await startService({ now: CLOCK });
});
afterAll(() => svc.close());

interface MarkDoc {
  _id: string;
  a: string;
  k: string;
  ts: Date;
  human?: Date;
  v?: number;
}

const RANGES: [string, string][] = [
  ["2026-01-01T00:00:00Z", "2026-04-07T23:59:59Z"],
  ["2026-02-10T07:13:09Z", "2026-03-19T16:44:01Z"],
];

async function snapshot(key: string, campaigns: string[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const [f, t] of RANGES) out.push((await rest(svc, "GET", `/api/v1/analytics/overview?from=${f}&to=${t}`, { key })).body);
  for (const id of campaigns) out.push((await rest(svc, "GET", `/api/v1/analytics/campaigns/${id}`, { key })).body);
  return out;
}

function expected(stored: Ev[], campaigns: string[]): unknown[] {
  return [
    ...RANGES.map(([f, t]) => ({ success: true, period: { from: isoSec(at(f)), to: isoSec(at(t)) }, metrics: refOverview(stored, at(f), at(t)) })),
    ...campaigns.map((id) => refCampaign(stored, id)),
  ];
}

/** Rewrites the account's layout-2 marks as layout 1 wrote them: `human` moved to a `…|h<kind>` document. */
async function toLayout1(account: string): Promise<number> {
  const col = svc.store.db.collection<MarkDoc>("message_firsts");
  let separate = 0;
  for (const d of await col.find({ a: account, v: 2 }).toArray()) {
    await col.updateOne({ _id: d._id }, { $unset: { v: "", human: "" } });
    if (d.human === undefined) continue;
    const cut = d._id.lastIndexOf("|") + 1;
    await col.insertOne({ _id: `${d._id.slice(0, cut)}h${d._id.slice(cut)}`, a: account, k: `h${d.k}`, ts: d.human });
    separate++;
  }
  // As a process that never saw them in layout 2 (layout 1 was written by an older build).
  svc.store.marks.forget(account);
  return separate;
}

test("messages stored in layout 1 count exactly as events arrive in any order, beside layout-2 ones; a rebuild leaves only layout 2", async () => {
  const { account, key } = await svc.newAccount();
  const rng = mulberry32(97);
  const s = generate(rng, "lay");
  // Shuffled: the second half holds earlier opens and clicks (firsts that move), and people's
  // opens of messages a machine opened first.
  const events = shuffle(rng, s.events);
  const half = Math.floor(events.length / 2);
  const ledger = new Ledger();
  for (const b of chunk(events.slice(0, half), 200)) expect(await post(svc, key, b)).toEqual(ledger.arrive(b));
  await svc.store.ingest.counted(account, 10_000);
  expect(await toLayout1(account)).toBeGreaterThan(10);

  for (const b of chunk(events.slice(half), 200)) expect(await post(svc, key, b)).toEqual(ledger.arrive(b));
  expect(await snapshot(key, s.campaigns)).toStrictEqual(expected(ledger.stored, s.campaigns));
  const marks = svc.store.db.collection<MarkDoc>("message_firsts");
  // Both layouts are in use: layout-1 messages kept theirs, new messages took layout 2.
  expect(await marks.countDocuments({ a: account, k: { $in: ["hopen", "hclick"] } })).toBeGreaterThan(10);
  expect(await marks.countDocuments({ a: account, v: 2 })).toBeGreaterThan(10);

  await svc.store.ingest.rebuild(account);
  expect(await snapshot(key, s.campaigns)).toStrictEqual(expected(ledger.stored, s.campaigns));
  expect(await marks.countDocuments({ a: account, k: { $in: ["hopen", "hclick"] } })).toBe(0);
  expect(await marks.countDocuments({ a: account, k: { $in: ["open", "click"] }, v: { $ne: 2 } })).toBe(0);
}, HEAVY_TEST_MS);

test("a first this process remembers is updated, not inserted again; found missing all the same, the counting fails for the repair", async () => {
  const { account } = await svc.newAccount();
  const marks = svc.store.marks;
  const col = svc.store.db.collection<MarkDoc>("message_firsts");
  const t = (s: number) => new Date(Date.UTC(2026, 2, 2, 10, 0, s));
  const open = (kind: "open" | "hopen", s: number) => ({ campaignId: "spring", email: "a@example.com", kind, ts: t(s) });
  expect(await marks.apply(account, [open("open", 10)])).toEqual([open("open", 10)]);
  // A person's open after a machine's: the remembered document takes its `human`.
  expect(await marks.apply(account, [open("open", 20), open("hopen", 20)])).toEqual([open("hopen", 20)]);
  expect(await col.find({ a: account }).project({ _id: 0, ts: 1, human: 1, v: 1 }).toArray()).toEqual([{ ts: t(10), human: t(20), v: 2 }]);
  // Gone behind this process's back (it cannot be, under the account's lease): its memories
  // are wrong, so the counting fails (its batches are left to the account's repair, which
  // recounts them from the raw events) and they are forgotten.
  await col.deleteMany({ a: account });
  await expect(marks.apply(account, [open("open", 5), open("hopen", 5)])).rejects.toThrow(StaleMarksError);
  expect(await marks.apply(account, [open("open", 5), open("hopen", 5)])).toEqual([open("open", 5), open("hopen", 5)]);
  expect(await col.find({ a: account }).project({ _id: 0, ts: 1, human: 1, v: 1 }).toArray()).toEqual([{ ts: t(5), human: t(5), v: 2 }]);
});
