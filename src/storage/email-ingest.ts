import { randomUUID } from "node:crypto";
import type { Collection, Db } from "mongodb";
import type { EmailEventDoc, EmailEventStore } from "./email-events.js";
import type { FirstCandidate, FirstMarkStore } from "./first-marks.js";
import type { RollupStore } from "./rollups.js";
import type { CampaignClick, ContactClickStore } from "./contact-clicks.js";
import type { CampaignLinkStore } from "./campaign-links.js";
import type { CampaignListStore } from "./campaign-list.js";
import type { Capabilities } from "./capabilities.js";
import { AccountLocks } from "./account-locks.js";
import { DeltaBuilder } from "./deltas.js";
import { prepareCollection } from "./indexes.js";
import { insertNew } from "./insert-new.js";
import type { PurchaseInput, PurchaseOutcome, PurchaseStore } from "./purchases.js";
import type { EmailEventInput } from "./types.js";

/** `ingest_batches`: a journal entry per batch whose rollups are not yet known to be applied. */
interface BatchDoc {
  _id: string;
  a: string;
  at: Date;
}

export interface RecordResult {
  accepted: number;
  duplicates: number;
}

/** Test hook: stop a batch after its raw events are stored, as a crash would. */
export type CrashPoint = "after-raw" | undefined;

/** A batch waiting for a writer (EmailIngest.record). */
interface Waiting {
  account: string;
  input: EmailEventInput[];
  now: Date;
  crash: CrashPoint;
  resolve(r: RecordResult): void;
  reject(err: unknown): void;
  /** Instead of a batch: another write that must have the database to itself (a purchase). */
  job?: () => Promise<void>;
}

/** At most this many events are written together (batches are up to 1,000 each). */
const GROUP_MAX_EVENTS = 10_000;

/**
 * Stores email events and keeps the rollups in step.
 *
 * A batch is: journal entry -> raw events (deduplicated by producer id) -> first-open/click
 * marks -> rollup increments -> journal entry removed. Retries are exact because a producer id
 * is stored once, ever, and only newly stored events are counted. A crash between the raw write
 * and the rollups leaves the journal entry behind; `repair()` then rebuilds that account's
 * rollups from its raw events, which are the source of truth.
 */
export class EmailIngest {
  private readonly batches: Collection<BatchDoc>;
  private readonly waiting: Waiting[] = [];
  private readonly locks: AccountLocks | undefined;
  /** Writer loops running now, at most `lanes`. */
  private writers = 0;
  /** Accounts whose batches a writer loop is writing now (kept apart where updates race: caps.atomicUpdates). */
  private readonly writing = new Set<string>();
  /** Batches written at once: 1 on a single-writer database, else `caps.concurrentBatches`. */
  private readonly lanes: number;
  constructor(
    db: Db,
    private readonly caps: Capabilities,
    private readonly events: EmailEventStore,
    private readonly marks: FirstMarkStore,
    private readonly rollups: RollupStore,
    private readonly clicks: ContactClickStore,
    private readonly links: CampaignLinkStore,
    private readonly list: CampaignListStore,
    private readonly purchases: PurchaseStore,
  ) {
    this.batches = db.collection<BatchDoc>("ingest_batches");
    this.lanes = caps.concurrentWriters ? caps.concurrentBatches : 1;
    // Several processes may write, and racing updates of one document can lose one: an account's
    // counting is done by one process at a time (within this one, `writing` keeps it apart).
    this.locks = caps.concurrentWriters && !caps.atomicUpdates ? new AccountLocks(db) : undefined;
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    await prepareCollection(this.batches, caps);
    await this.locks?.ensureIndexes(caps);
  }

  /**
   * Queues accounts for a rebuild from their raw events: a journal entry dated 1970 per account,
   * so the next `repair()` rebuilds it (and a crash in between leaves the entries for the next
   * start). `tag` keeps one entry per account and reason.
   */
  async queueRebuild(accounts: string[], tag: string): Promise<void> {
    await insertNew(this.batches, accounts.map((a) => ({ _id: `rebuild|${tag}|${a}`, a, at: new Date(0) })));
  }

  /**
   * Stores a purchase and counts it into the rollups as one journaled step (a crash in between
   * leaves the entry, and `repair()` rebuilds the account, purchases included), in the ingest's
   * turn on a single-writer database. A repeated order id, also when repeats race, is stored
   * and counted once: the unique `_id` decides, and only the winner counts.
   */
  async recordPurchase(account: string, p: PurchaseInput, now: Date): Promise<PurchaseOutcome> {
    let outcome: PurchaseOutcome | undefined;
    const job = async () => {
      const journal: BatchDoc = { _id: randomUUID(), a: account, at: now };
      await this.batches.insertOne(journal);
      outcome = await this.purchases.insert(account, p, now);
      if (!outcome.duplicate) {
        const { hours, campaigns } = new DeltaBuilder()
          .purchase({ ts: p.timestamp, currency: p.currency, amount: p.amount, campaign: p.attributedCampaignId })
          .build();
        await this.exclusive([account], () => this.rollups.apply(account, hours, campaigns));
      }
      await this.batches.deleteOne({ _id: journal._id });
    };
    if (this.caps.concurrentWriters) await job();
    else {
      await new Promise<RecordResult>((resolve, reject) => {
        this.waiting.push({ account, input: [], now, crash: undefined, resolve, reject, job });
        if (this.writers < this.lanes) void this.writeWaiting();
      });
    }
    return outcome!;
  }

  async record(account: string, input: EmailEventInput[], now: Date, crash?: CrashPoint): Promise<RecordResult> {
    // Up to `lanes` writers take waiting batches. On a single-writer database (FerretDB's SQLite
    // backend answers a second writer with SQLITE_BUSY rather than waiting) that is one: batches
    // take turns in this process (its embedded database is ours). On a concurrent one, a few at
    // once (Capabilities.concurrentBatches says why FerretDB on PostgreSQL needs a bound).
    // Batches that arrived while the writers were busy go together, as one group commit: the
    // same documents in fewer, larger commands, and rollup documents they share written once.
    return new Promise((resolve, reject) => {
      this.waiting.push({ account, input, now, crash, resolve, reject });
      if (this.writers < this.lanes) void this.writeWaiting();
    });
  }

  private async writeWaiting(): Promise<void> {
    this.writers++;
    for (;;) {
      const group = takeGroup(this.waiting, this.caps.atomicUpdates ? undefined : this.writing);
      if (group.length === 0) break;
      const job = group[0]!.job;
      if (job) {
        await job().then(() => group[0]!.resolve({ accepted: 0, duplicates: 0 }), group[0]!.reject);
        continue;
      }
      for (const b of group) this.writing.add(b.account);
      try {
        const results = await this.recordGroup(group);
        group.forEach((b, i) => b.resolve(results[i]!));
      } catch (err) {
        for (const b of group) b.reject(err);
      } finally {
        for (const b of group) this.writing.delete(b.account);
      }
    }
    this.writers--;
  }

  /** Records batches together; each gets its own result, as if it had been written alone and in order. */
  private async recordGroup(group: Omit<Waiting, "resolve" | "reject">[]): Promise<RecordResult[]> {
    const journal: BatchDoc[] = group.map((b) => ({ _id: randomUUID(), a: b.account, at: b.now }));
    await this.batches.insertMany(journal);
    const docs = group.map((b, i) => this.events.toDocs(b.account, journal[i]!._id, b.input));
    const all = docs.flat();
    // A producer id twice in the group is stored for its first batch and a duplicate for the later.
    const isNew = new Set(await this.events.insertNew(all));
    if (group.some((b) => b.crash === "after-raw")) throw new Error("simulated crash after the raw write");
    const inserted = new Map<string, EmailEventDoc[]>();
    all.forEach((d, i) => {
      if (!isNew.has(i)) return;
      const list = inserted.get(d.a);
      if (list) list.push(d);
      else inserted.set(d.a, [d]);
    });
    await this.exclusive([...inserted.keys()], async () => {
      for (const [account, list] of inserted) await this.count(account, list);
    });
    if (journal.length === 1) await this.batches.deleteOne({ _id: journal[0]!._id });
    else await this.batches.deleteMany({ _id: { $in: journal.map((j) => j._id) } });
    let offset = 0;
    return docs.map((d) => {
      let accepted = 0;
      for (let i = offset; i < offset + d.length; i++) if (isNew.has(i)) accepted++;
      offset += d.length;
      return { accepted, duplicates: d.length - accepted };
    });
  }

  /** Rebuilds the rollups of every account that has a batch older than `olderThanMs` left over. */
  async repair(now: Date, olderThanMs: number): Promise<string[]> {
    const stale = await this.batches.find({ at: { $lte: new Date(now.getTime() - olderThanMs) } }).toArray();
    const accounts = [...new Set(stale.map((b) => b.a))];
    for (const a of accounts) await this.rebuild(a);
    if (stale.length) await this.batches.deleteMany({ _id: { $in: stale.map((b) => b._id) } });
    return accounts;
  }

  /**
   * Re-derives an account's rollups and marks from its raw events by replaying them through
   * the same counting path. Run it while no batch for the account is in flight.
   */
  async rebuild(account: string): Promise<void> {
    await this.exclusive([account], () => this.rebuildHeld(account));
  }

  private async rebuildHeld(account: string): Promise<void> {
    await this.rollups.clearAccount(account);
    await this.marks.clearAccount(account);
    await this.clicks.clearAccount(account);
    await this.links.clearAccount(account);
    await this.list.clearEvents(account);
    // Purchases first: their rollups do not depend on the order of anything.
    await this.purchases.forEach(account, async (page) => {
      const d = new DeltaBuilder();
      for (const p of page) d.purchase(p);
      const { hours, campaigns } = d.build();
      await this.rollups.apply(account, hours, campaigns);
    });
    // In time order, so that each message's first open/click is met first and never moves. In
    // pages rather than one cursor: an open cursor would hold FerretDB's SQLite transaction (and
    // with it the write lock) while the pages are counted.
    const PAGE = 5000;
    let after: { ts: Date; _id: string } | undefined;
    for (;;) {
      const filter = after
        ? { a: account, $or: [{ ts: { $gt: after.ts } }, { ts: after.ts, _id: { $gt: after._id } }] }
        : { a: account };
      const page = await this.events.col.find(filter).sort({ ts: 1, _id: 1 }).limit(PAGE).toArray();
      if (page.length === 0) break;
      await this.count(account, page);
      const last = page[page.length - 1]!;
      after = { ts: last.ts, _id: last._id };
      if (page.length < PAGE) break;
    }
  }

  /**
   * Runs `fn`, which updates these accounts' derived documents, as their only writer among the
   * processes where racing updates are not atomic (AccountLocks); elsewhere simply runs it.
   */
  exclusive<T>(accounts: string[], fn: () => Promise<T>): Promise<T> {
    return this.locks && accounts.length > 0 ? this.locks.with(accounts, fn) : fn();
  }

  /** Counts newly stored events into the marks, the rollups, the links, the campaign list and the contacts' human clicks. */
  private async count(account: string, docs: EmailEventDoc[]): Promise<void> {
    if (docs.length === 0) return;
    const candidates: FirstCandidate[] = [];
    const clicks: CampaignClick[] = [];
    for (const d of docs) {
      if (d.k !== "open" && d.k !== "click") continue;
      candidates.push({ campaignId: d.c, email: d.e, kind: d.k, ts: d.ts });
      if (!d.m) candidates.push({ campaignId: d.c, email: d.e, kind: d.k === "open" ? "hopen" : "hclick", ts: d.ts });
      if (d.k === "click" && d.c !== "" && d.url !== undefined) candidates.push({ campaignId: d.c, email: d.e, kind: "link", ts: d.ts, url: d.url });
      // Attribution follows people: a scanner's click never earns a campaign a purchase.
      if (d.k === "click" && d.c !== "" && !d.m) clicks.push({ email: d.e, campaignId: d.c, ts: d.ts, eventId: d._id });
    }
    const changes = await this.marks.apply(account, candidates);
    const { hours, campaigns, links } = new DeltaBuilder().events(docs).firsts(changes).build();
    await this.rollups.apply(account, hours, campaigns);
    await this.links.add(account, links);
    await this.list.seen(account, campaigns.map((c) => ({ id: c.campaignId, firstSend: c.firstSend })));
    await this.clicks.add(account, clicks);
  }
}

/**
 * Takes the batches written next: the first waiting one and those after it, up to
 * GROUP_MAX_EVENTS. A batch with a crash point (tests) goes alone.
 */
function takeGroup(waiting: Waiting[], busy?: ReadonlySet<string>): Waiting[] {
  // Where one account's batches must not be written at once, those of an account another writer
  // is writing wait (all of them, so an account's batches keep their order).
  const free = busy ? waiting.filter((b) => !busy.has(b.account)) : waiting;
  if (free.length === 0) return [];
  let n = 1;
  let events = free[0]!.input.length;
  if (free[0]!.crash === undefined && !free[0]!.job) {
    while (n < free.length && free[n]!.crash === undefined && !free[n]!.job && events + free[n]!.input.length <= GROUP_MAX_EVENTS) {
      events += free[n]!.input.length;
      n++;
    }
  }
  const group = free.slice(0, n);
  for (const b of group) waiting.splice(waiting.indexOf(b), 1);
  return group;
}
