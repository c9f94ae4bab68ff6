// Taking an account's lease is exclusive on every database: racing takers of a free lease never
// both win, even where the database applies racing updates of one document non-atomically
// (FerretDB reads, then writes).
import { randomBytes } from "node:crypto";
import { MongoClient, type Db } from "mongodb";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { AccountLeases } from "../../src/storage/account-leases.js";
import { AccountLocks } from "../../src/storage/account-locks.js";
import { detectCapabilities, type Capabilities } from "../../src/storage/capabilities.js";
import { until } from "../helpers/until.js";

let client: MongoClient;
let db: Db;
let caps: Capabilities;

beforeAll(async () => {
  client = new MongoClient(inject("mongoUri"));
  await client.connect();
  db = client.db(`t_${randomBytes(6).toString("hex")}`);
  caps = await detectCapabilities(db);
});
afterAll(async () => {
  await db.dropDatabase().catch(() => undefined);
  await client.close();
});

test("8 takers racing for a free lease, 25 rounds: exactly one wins each round", async () => {
  // As many "processes" as takers: each its own owner, all on one database.
  const takers = Array.from({ length: 8 }, (_, i) => new AccountLeases(db, `owner-${i}`, 60_000, caps));
  for (let round = 0; round < 25; round++) {
    const account = `acct_race_${round % 5}`; // the first five rounds create the lease, the rest reuse a released one
    const leases = await Promise.all(takers.map((t) => t.tryAcquire(account)));
    const winners = leases.flatMap((l, i) => (l ? [i] : []));
    expect(winners, `round ${round}`).toHaveLength(1);
    await takers[winners[0]!]!.release(leases[winners[0]!]!);
  }
});

test("a lease kept between uses (keepMs): taken again here without a take, held against others until unused for keepMs or asked for", async () => {
  // keepMs: long enough for the few database calls each step makes while the lease must still be
  // kept, on a loaded machine too (at 300 ms, three calls on a busy database could outlast it).
  const keepMs = 1000;
  const a = new AccountLeases(db, "owner-a", 60_000, caps, keepMs);
  const b = new AccountLeases(db, "owner-b", 60_000, caps, keepMs);
  const leases = db.collection<{ _id: string; holder: string | null }>("account_leases");
  const holder = async (account: string) => (await leases.findOne({ _id: account }))?.holder;

  // Given back, it stays a's in the database; a's next use is the same lease, b finds it held.
  const first = (await a.tryAcquire("acct_keep"))!;
  await a.release(first);
  expect(await holder("acct_keep")).toBe(first.token);
  expect(await b.tryAcquire("acct_keep")).toBeUndefined();
  const again = (await a.tryAcquire("acct_keep"))!;
  expect(again).toBe(first);
  await a.release(again);
  // Unused for keepMs: released (its timer's write, however long the database takes), and b takes it.
  const released = performance.now();
  expect(await until(async () => (await holder("acct_keep")) === null, keepMs + 10_000)).toBe(true);
  expect(performance.now() - released).toBeGreaterThanOrEqual(keepMs - 50);
  const forB = (await b.tryAcquire("acct_keep"))!;
  expect(forB).toBeDefined();
  expect(await a.tryAcquire("acct_keep")).toBeUndefined(); // a asks for it now
  await b.release(forB);
  expect(await holder("acct_keep")).toBe(forB.token); // kept: b's renewal has not seen the ask yet
  await b.renew();
  expect(await holder("acct_keep")).toBeNull(); // asked for and unused: released at once

  // Asked for while in use: released, not kept, when given back.
  const inUse = (await a.tryAcquire("acct_keep"))!;
  expect(inUse).toBeDefined();
  expect(await b.tryAcquire("acct_keep")).toBeUndefined();
  await a.renew();
  await a.release(inUse);
  expect(await holder("acct_keep")).toBeNull();
  // (b polls: it gave the lease up for a a moment ago, and lets a go first for a while.)
  const taken = await b.acquire("acct_keep", 5000);
  expect(taken.token).toMatch(/^owner-b#/);
  expect(await leases.findOne({ _id: "wanted|acct_keep" })).toBeNull(); // the taker's ask is gone
  await b.releaseAll();
  await a.releaseAll();
  expect(await holder("acct_keep")).toBeNull();
});

test("a kept lease's release when its time is up never makes this process's next take fail", async () => {
  const a = new AccountLeases(db, "owner-timer", 60_000, caps, 30);
  for (let i = 0; i < 10; i++) {
    await a.release((await a.tryAcquire("acct_timer"))!);
    // Fires right after the kept lease's own timer, whose release is then still on its way.
    await new Promise((r) => setTimeout(r, 30));
    expect(await a.tryAcquire("acct_timer"), `round ${i}`).toBeDefined();
    await a.releaseAll();
  }
});

test("a kept lease says since when nothing used it (a batch skips its journal read only if that is before its entries opened)", async () => {
  const a = new AccountLeases(db, "owner-unused", 60_000, caps, 5_000);
  const fresh = (await a.tryAcquire("acct_unused"))!;
  expect(fresh.unusedSince).toBeUndefined(); // just taken: its holder before may have been a repair
  await a.release(fresh);
  const opened = performance.now(); // a batch opens its entries now
  const reused = (await a.tryAcquire("acct_unused"))!;
  expect(reused).toBe(fresh);
  expect(reused.unusedSince).toBeLessThan(opened); // unused since before: nothing ran under it
  // A use (say a repair) after a batch opened its entries moves it past that moment.
  const openedDuring = performance.now();
  await a.release(reused);
  const next = (await a.tryAcquire("acct_unused"))!;
  expect(next.unusedSince).toBeGreaterThan(openedDuring);
  await a.release(next);
  await a.releaseAll();
});

// The holder's own writes to its lease document (renewals on a timer, a rebuild's begin and end)
// never undo one another, even where racing updates of one document are not atomic: a renewal
// that raced a rebuild's end once wrote back `rebuilding: true`, and the account's reads answered
// `unavailable` until its next rebuild.
test("a rebuild's begin and end, each racing a renewal of the same lease, 40 rounds: the flag and the counter are as the rebuilds left them", async () => {
  const leases = new AccountLeases(db, "owner-r", 60_000, caps);
  const lease = (await leases.tryAcquire("acct_r"))!;
  expect(lease).toBeDefined();
  const seen: string[] = [];
  for (let round = 1; round <= 40; round++) {
    await Promise.all([leases.beginRebuild(lease), leases.renew()]);
    const during = await leases.state("acct_r");
    await Promise.all([leases.endRebuild(lease), leases.renew()]);
    const after = await leases.state("acct_r");
    seen.push(`${round}: ${JSON.stringify(during)} ${JSON.stringify(after)}`);
    expect([during, after], seen.join("\n")).toEqual([{ rebuilding: true, rebuilds: round }, { rebuilding: false, rebuilds: round }]);
  }
  expect(lease.lost).toBe(false);
  await leases.releaseAll();
});

// A renewal that reaches the database late (sent before the lease lapsed, held up by a slow or
// returning database) races another process's take of the lapsed lease: exactly one of them may
// end up holding it, never both.
test("a late renewal racing another process's take of the lapsed lease, 20 rounds: one holder, never two", async () => {
  const ttlMs = 200;
  const a = new AccountLeases(db, "owner-late", ttlMs, caps);
  const b = new AccountLeases(db, "owner-taker", 60_000, caps);
  const leases = db.collection<{ _id: string; holder: string | null }>("account_leases");
  const outcomes = { renewed: 0, taken: 0 };
  for (let round = 1; round <= 20; round++) {
    const account = `acct_late_${round}`;
    const held = (await a.tryAcquire(account))!;
    expect(held).toBeDefined();
    await new Promise((r) => setTimeout(r, ttlMs + 20)); // lapsed in the database, not yet noticed here
    const [, taken] = await Promise.all([a.renew(), b.tryAcquire(account)]);
    const holder = (await leases.findOne({ _id: account }))?.holder;
    const aHolds = !held.lost;
    // Not both; and the document names the one that holds it.
    expect([aHolds, taken !== undefined], `round ${round}`).not.toEqual([true, true]);
    expect(holder, `round ${round}`).toBe(taken ? taken.token : held.token);
    if (taken) {
      outcomes.taken++;
      await b.release(taken);
    } else {
      outcomes.renewed++;
      await a.release(held);
    }
  }
  console.log(`late renewal vs take: ${JSON.stringify(outcomes)}`);
  await a.releaseAll();
  await b.releaseAll();
});

// A lock whose holder was killed lapses; then exactly one of the takers waiting for it clears it
// (FerretDB deletes by `_id` once it has found a match: two clearing it at once once deleted each
// other's fresh locks, and 2-4 takers held one lock at a time).
test("8 takers of a lock a killed holder left, 30 rounds: one holder at a time", async () => {
  const locks = Array.from({ length: 8 }, () => new AccountLocks(db));
  const col = db.collection<{ _id: string; o: string; until: Date }>("account_write_locks");
  const most: number[] = [];
  for (let round = 1; round <= 30; round++) {
    const key = `lapsed_${round}`;
    await col.insertOne({ _id: key, o: "killed", until: new Date(Date.now() - 1) });
    let inside = 0;
    let max = 0;
    await Promise.all(
      locks.map((l) =>
        l.with([key], async () => {
          max = Math.max(max, ++inside);
          await new Promise((r) => setTimeout(r, 5));
          inside--;
        }),
      ),
    );
    most.push(max);
  }
  expect(most).toEqual(most.map(() => 1));
});

test("8 takers of a free lease whose take lock a killed taker left, 15 rounds: one wins each round", async () => {
  const takers = Array.from({ length: 8 }, (_, i) => new AccountLeases(db, `owner-k${i}`, 60_000, caps));
  const col = db.collection<{ _id: string; o: string; until: Date }>("account_write_locks");
  const winners: number[] = [];
  for (let round = 1; round <= 15; round++) {
    const account = `acct_killed_${round}`;
    await takers[0]!.release((await takers[0]!.tryAcquire(account))!); // the lease document exists, free
    await col.insertOne({ _id: `lease|${account}`, o: "killed", until: new Date(Date.now() - 1) });
    const got = await Promise.all(takers.map((t) => t.tryAcquire(account)));
    winners.push(got.filter((l) => l !== undefined).length);
    await Promise.all(got.map((l, i) => (l ? takers[i]!.release(l) : undefined)));
  }
  expect(winners).toEqual(winners.map(() => 1));
});

// A taker killed mid-take leaves the account's take lock for up to 10 s, and a renewal of that
// account's lease waits for it: it must hold up no other lease's renewal.
test("a take lock a killed taker left on one account: the 9 other leases held here stay renewed", async () => {
  const ttlMs = 2000;
  const a = new AccountLeases(db, "owner-stall", ttlMs, caps);
  const held = [];
  for (let i = 0; i < 10; i++) held.push((await a.tryAcquire(`acct_stall_${i}`))!);
  await db.collection<{ _id: string; o: string; until: Date }>("account_write_locks").insertOne({ _id: "lease|acct_stall_0", o: "killed", until: new Date(Date.now() + 10_000) });
  const timer = setInterval(() => void a.renew().catch(() => undefined), ttlMs / 4);
  try {
    await new Promise((r) => setTimeout(r, 2 * ttlMs)); // past every lease's first ttl: only renewals keep them
    const usable = held.slice(1).map((l) => {
      try {
        l.check();
        return true;
      } catch {
        return false;
      }
    });
    expect(usable).toEqual(usable.map(() => true));
  } finally {
    clearInterval(timer);
  }
  for (const l of held.slice(1)) await a.release(l);
});

test("a taker killed while clearing a lapsed lock (its claim left, lapsed): the lock is taken again, by one at a time", async () => {
  const locks = Array.from({ length: 4 }, () => new AccountLocks(db));
  const col = db.collection<{ _id: string; o: string; until: Date }>("account_write_locks");
  const key = "lapsed_claim";
  await col.insertOne({ _id: key, o: "killed", until: new Date(Date.now() - 1) });
  await col.insertOne({ _id: `${key}|cleared|killed|0`, o: "cleared", until: new Date(Date.now() - 1) });
  let inside = 0;
  let max = 0;
  let entered = 0;
  await Promise.all(
    locks.map((l) =>
      l.with([key], async () => {
        entered++;
        max = Math.max(max, ++inside);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
      }),
    ),
  );
  expect([entered, max]).toEqual([4, 1]);
});

test("a holder keeps its lease, renewed on time, while 120 takers poll for it (the take lock does not starve its renewals)", async () => {
  // A ttl with room for a loaded machine (a renewal may be late by up to 3/4 of it): the
  // starvation this guards against held renewals off for 7 to 9 s.
  const ttl = 4000;
  const holder = new AccountLeases(db, "owner-holder", ttl, caps);
  const lease = (await holder.tryAcquire("acct_crowd"))!;
  expect(lease).toBeDefined();
  // Renewed as EmailIngest does: every ttl/4. Before, one renewal waited 7 to 9 s for the take
  // lock the pollers kept taking, and the lease lapsed under its live holder (FerretDB/PostgreSQL).
  const renewal = setInterval(() => void holder.renew().catch(() => undefined), ttl / 4);
  const takers = Array.from({ length: 120 }, (_, i) => new AccountLeases(db, `owner-crowd-${i}`, ttl, caps));
  const polling = takers.map((t) => t.acquire("acct_crowd", 3 * ttl).then(
    () => "took",
    () => "busy",
  ));
  let lapsed = 0;
  const started = Date.now();
  while (Date.now() - started < 3 * ttl) {
    try {
      lease.check();
    } catch {
      lapsed++;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const outcomes = await Promise.all(polling);
  clearInterval(renewal);
  expect({ lapsed, took: outcomes.filter((o) => o === "took").length }).toEqual({ lapsed: 0, took: 0 });
  await holder.release(lease);
}, 60_000);
