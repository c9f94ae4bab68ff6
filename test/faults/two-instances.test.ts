// Two service processes start together on one database that holds unfinished work: batches cut
// short after their raw write and half-way through their counts, and a queued rebuild. Both
// repair while both serve new batches of the same accounts. No account is ever rebuilt by both
// at once (their logs' rebuild intervals never overlap), no answer is a 500, and every metric of
// every account ends exact, read from either process.
import { randomBytes } from "node:crypto";
import { afterAll, expect, inject, test } from "vitest";
import { indexIdLookups } from "../../src/db/embedded.js";
import { Store } from "../../src/storage/store.js";
import { startServiceProcess, type ServiceProcess } from "../helpers/process.js";
import { generate } from "../read/generator.js";
import { chunk, input, mulberry32, type Ev } from "../read/lib.js";
import { checkAttribution, converge, postEvents } from "./reference.js";

const database = `t_two_${randomBytes(4).toString("hex")}`;
let store: Store | undefined;
const procs: ServiceProcess[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill9()));
  await store?.db.dropDatabase().catch(() => undefined);
  await store?.close();
});

test("two instances starting together on unfinished work: one rebuild at a time per account, exact metrics", async () => {
  store = await Store.open(inject("mongoUri"), database, { leaseTtlMs: 5000 });
  if (inject("ferretdbDataDir")) await indexIdLookups(process.cwd(), inject("ferretdbDataDir"), database);
  const rng = mulberry32(4242);
  const accounts = await Promise.all(
    ["acct_two_a", "acct_two_b", "acct_two_c"].map(async (account, i) => {
      const s = generate(rng, `two${i}`, 1);
      const events = s.events.filter((e) => e.id !== undefined);
      const key = (await store!.keys.create(account, ["ingest", "analytics", "track"], new Date())).key;
      return { account, key, events, campaigns: s.campaigns, batches: chunk(events, 60) };
    }),
  );
  // Unfinished work, as crashed processes leave it.
  const later: { key: string; batch: Ev[] }[] = [];
  for (const [i, a] of accounts.entries()) {
    const cut = Math.floor(a.batches.length * 0.4);
    for (const b of a.batches.slice(0, cut)) await store.ingest.record(a.account, b.map(input), new Date());
    if (i === 2) {
      await store.ingest.queueRebuild([a.account], "test-version-bump");
    } else {
      await expect(store.ingest.record(a.account, a.batches[cut]!.map(input), new Date(), "after-raw")).rejects.toThrow();
      await expect(store.ingest.record(a.account, a.batches[cut + 1]!.map(input), new Date(), "after-rollups")).rejects.toThrow();
    }
    // The client re-sends what got no answer, then the rest.
    for (const b of a.batches.slice(cut)) later.push({ key: a.key, batch: b });
  }
  expect((await store.ingest.dueAccounts()).sort()).toEqual(accounts.map((a) => a.account).sort());

  const env = { MONGODB_URI: inject("mongoUri"), MONGODB_DATABASE: database, LEASE_TTL_MS: "3000" };
  procs.push(...(await Promise.all([startServiceProcess(env), startServiceProcess(env)])));

  // New batches of the same accounts to both processes while they repair.
  const statuses: number[] = [];
  await Promise.all(
    accounts.map(async (a) => {
      const mine = later.filter((l) => l.key === a.key);
      for (const [j, { batch }] of mine.entries()) {
        for (let attempt = 0; ; attempt++) {
          const r = await postEvents(procs[j % 2]!.url, a.key, batch);
          statuses.push(r.status);
          if (r.status === 200) break;
          expect(attempt).toBeLessThan(100);
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    }),
  );
  expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);

  const problems = () => procs.flatMap((p) => p.records.filter((r) => r.level === "warn" || r.level === "error").map((r) => JSON.stringify(r)));
  for (const a of accounts) {
    for (const p of procs) await converge(p.url, a.key, a.events, a.campaigns, 20_000).catch((e: Error) => Promise.reject(new Error(`${e.message}\n${problems().join("\n")}`)));
    const clicks = a.events.filter((e) => e.type === "click" && e.campaign_id).slice(0, 6);
    const attribution = await checkAttribution(procs[0]!.url, a.key, a.account, a.events, clicks, `two-${a.account}`);
    expect(attribution.got).toEqual(attribution.want);
  }
  expect(await store.ingest.dueAccounts()).toEqual([]);

  // Rebuild intervals per account, from both logs: each account rebuilt, never by both at once.
  const intervals = procs.flatMap((p, pi) => {
    const open = new Map<string, number>();
    const out: { account: string; proc: number; from: number; to: number }[] = [];
    for (const r of p.records) {
      const t = Date.parse(r.time as string);
      if (r.msg === "rebuild started") open.set(r.account as string, t);
      if (r.msg === "rebuild finished") out.push({ account: r.account as string, proc: pi, from: open.get(r.account as string)!, to: t });
    }
    return out;
  });
  for (const a of accounts) {
    const mine = intervals.filter((x) => x.account === a.account).sort((x, y) => x.from - y.from);
    expect(mine.length).toBeGreaterThan(0);
    for (let i = 1; i < mine.length; i++) expect(mine[i]!.from).toBeGreaterThanOrEqual(mine[i - 1]!.to);
  }
  console.log(`rebuilds: ${JSON.stringify(intervals.map((x) => [x.account, x.proc, x.to - x.from]))}`);
}, 120_000);
