import { randomUUID } from "node:crypto";
import type { Db } from "mongodb";
import type { EmailEventDoc, EmailEventStore } from "./email-events.js";
import type { FirstCandidate, FirstMarkStore } from "./first-marks.js";
import type { RollupStore } from "./rollups.js";
import type { CampaignClick, ContactClickStore } from "./contact-clicks.js";
import type { CampaignLinkStore } from "./campaign-links.js";
import type { CampaignListStore } from "./campaign-list.js";
import type { CampaignStore } from "./campaigns.js";
import type { Capabilities } from "./capabilities.js";
import { AccountLocks } from "./account-locks.js";
import { CountBacklog, type Uncounted } from "./count-backlog.js";
import { DeltaBuilder } from "./deltas.js";
import { LeaseBusyError, LeaseLostError, type AccountLeases, type Lease, type RepairState } from "./account-leases.js";
import { DatabaseDownError, RetryableError } from "./availability.js";
import { isDue, type IngestJournal } from "./ingest-journal.js";
import type { PurchaseInput, PurchaseOutcome, PurchaseStore } from "./purchases.js";
import type { EmailEventInput, RegisteredCampaign } from "./types.js";

export interface RecordResult {
  accepted: number;
  duplicates: number;
}

/**
 * Test hook: fail a batch at this step, as a database error there would (the process lives on;
 * its journal entry is abandoned and repaired). `after-raw`: the raw events are stored, nothing
 * counted; `after-marks`, `after-rollups`: counting stopped half-way.
 */
export type FaultPoint = "after-journal" | "after-raw" | "after-marks" | "after-rollups" | undefined;

/** Where the test hook MISAR_TEST_DIE_AT may kill the process: a batch's steps, and `after-campaign` (UpsertCampaign: `campaigns` written, the list not yet). */
export type DiePoint = NonNullable<FaultPoint> | "after-campaign";

/** Told when a rebuild of an account starts and when it has finished (logs, tests). */
export type RebuildObserver = (account: string, phase: "start" | "end") => void;

/** One unit of work on a single-writer database: a batch, or a repair taking its turn. */
interface Waiting {
  account: string;
  input: EmailEventInput[];
  now: Date;
  fault: FaultPoint;
  resolve(r: RecordResult): void;
  reject(err: unknown): void;
  /** Instead of a batch: other work that must have the database to itself (a repair, a purchase). */
  task?: () => Promise<void>;
}

/** At most this many events are written together (batches are up to 1,000 each). */
const GROUP_MAX_EVENTS = 10_000;

/**
 * Answered batches waiting to be counted, at most this many events: the batch that takes the
 * backlog past it is answered once the backlog is counted (memory stays bounded, and a producer
 * faster than the counting is slowed to its pace).
 */
const BACKLOG_MAX_EVENTS = 10_000;

/** Events read per page of a rebuild. */
const REBUILD_PAGE = 5000;

/**
 * Stores email events and keeps the derived data (first marks, rollups, click days) exact,
 * whatever fails when.
 *
 * A batch is: journal entry (live while its writer renews it) -> raw events, deduplicated by
 * producer id -> under the account's lease: first marks, rollups, click days -> journal entry
 * removed. Only newly stored events are counted, so retries are exact. With a count delay
 * (`countDelayMs`), a batch is answered once its events are stored, and counted with the other
 * batches answered within the delay (a derived document they share is written once); every read
 * of the account, and a purchase's attribution, first waits for what was answered before it to be
 * counted (`counted`), so a 200 is seen by the next read as before. If anything stops a batch
 * after its journal entry (the process dies, the database fails, the grace period ends), the
 * entry stops being renewed and becomes due; a repair (any instance's repair loop, under the
 * same lease) then rebuilds the account from its raw events, the source of truth, leaving out
 * the events of batches still in flight elsewhere, which count themselves once the lease is free.
 */
export class EmailIngest {
  private readonly waiting: Waiting[] = [];
  private readonly locks: AccountLocks | undefined;
  /** Writer loops running now, at most `lanes`. */
  private writers = 0;
  /** Accounts whose batches a writer loop is writing now (kept apart where updates race: caps.atomicUpdates). */
  private readonly writingNow = new Set<string>();
  /** Batches written at once: 1 on a single-writer database, else `caps.concurrentBatches`. */
  private readonly lanes: number;
  private closed = false;
  /** Group writes and repairs under way, for close() to wait for. */
  private readonly active = new Set<Promise<unknown>>();
  private readonly renewal: NodeJS.Timeout;
  private reachedDiePoint = 0;
  /** Accounts callers of whenCounted are waiting on, with how many wait: a repair pass takes them first. */
  private readonly awaited = new Map<string, number>();
  /** Batches answered and not yet counted (with a count delay). */
  private readonly backlog = new CountBacklog();
  /** When the backlog is counted next, unless something needs it sooner. */
  private backlogTimer: NodeJS.Timeout | undefined;
  /** The backlog's counting queued and not started yet (a caller then waits for that one). */
  private nextCount: Promise<void> | undefined;
  /** The last counting of the backlog queued: the next waits for it (one at a time). */
  private lastCount: Promise<void> = Promise.resolve();
  private readonly countDelayMs: number;
  private readonly dieAt: { point: DiePoint; nth: number } | undefined;
  constructor(
    private readonly caps: Capabilities,
    private readonly events: EmailEventStore,
    private readonly marks: FirstMarkStore,
    private readonly rollups: RollupStore,
    private readonly clicks: ContactClickStore,
    private readonly links: CampaignLinkStore,
    private readonly list: CampaignListStore,
    private readonly purchases: PurchaseStore,
    readonly journal: IngestJournal,
    readonly leases: AccountLeases,
    private readonly campaigns: CampaignStore,
    opts: IngestOptions = {},
  ) {
    const db = opts.db;
    this.dieAt = opts.dieAt;
    this.countDelayMs = opts.countDelayMs ?? 0;
    this.lanes = caps.concurrentWriters ? caps.concurrentBatches : 1;
    // Several processes may write, and racing updates of one document can lose one: an account's
    // counting is done by one process at a time (within this one, `writingNow` keeps it apart).
    // (The account lease, held around all counting, excludes the same; this lock stays for the
    // other writers of derived documents, e.g. campaign registration.)
    this.locks = db && caps.concurrentWriters && !caps.atomicUpdates ? new AccountLocks(db) : undefined;
    // Live journal entries and held leases are renewed well within their ttl.
    this.renewal = setInterval(() => void this.renew(), Math.max(50, Math.floor(leases.ttlMs / 4)));
    this.renewal.unref();
    // Rebuilt elsewhere since this process last held the lease: a url's page may have moved, list
    // entries and firsts been rewritten. (The rollups' and clicks' writers find out by themselves:
    // a remembered document found missing is inserted again.)
    leases.onRebuiltElsewhere((account) => {
      this.links.forget(account);
      this.list.forget(account);
      this.marks.forget(account);
    });
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    await this.journal.ensureIndexes(caps);
    await this.leases.ensureIndexes(caps);
    await this.locks?.ensureIndexes(caps);
  }

  /** Queues accounts for a rebuild from their raw events (`tag`: one entry per account and reason). */
  async queueRebuild(accounts: string[], tag: string): Promise<void> {
    await this.journal.queueRebuild(accounts, tag);
  }

  async record(account: string, input: EmailEventInput[], now: Date, fault?: FaultPoint): Promise<RecordResult> {
    if (this.closed) throw new DatabaseDownError("the ingest is shutting down");
    // Up to `lanes` writers take waiting batches. On a single-writer database (FerretDB's SQLite
    // backend answers a second writer with SQLITE_BUSY rather than waiting) that is one: batches
    // take turns in this process (its embedded database is ours). On a concurrent one, a few at
    // once (Capabilities.concurrentBatches says why FerretDB on PostgreSQL needs a bound).
    // Batches that arrived while the writers were busy go together, as one group commit: the
    // same documents in fewer, larger commands, and rollup documents they share written once.
    const result = await new Promise<RecordResult>((resolve, reject) => {
      this.waiting.push({ account, input, now, fault, resolve, reject });
      if (this.writers < this.lanes) void this.writeWaiting();
    });
    // A producer faster than the counting waits for it here (the backlog stays bounded).
    if (this.backlog.events >= BACKLOG_MAX_EVENTS) await this.countBacklog();
    // Events found stored already were stored by another batch, which may not have counted them
    // yet (still writing elsewhere, or cut short: due for repair). A 200 says they are counted.
    if (result.duplicates > 0) await this.whenCounted(account);
    return result;
  }

  /**
   * Returns once everything stored for the account before this call is counted (see
   * IngestJournal.drained), waiting as long as for a lease; else throws a retryable error. A
   * repeat answered "duplicate" (an event id, an order id) is acknowledged only then: answered
   * at once, a producer that had re-sent a batch a crashed process stored but never counted got
   * 200, and its next purchase missed that batch's click for good (attribution is decided when a
   * purchase arrives; test/faults/ack-counted.test.ts). Waits outside this process's turn of
   * writing: the repair it may wait for takes that turn.
   */
  whenCounted(account: string): Promise<void> {
    return this.counted(account, 4 * this.leases.ttlMs);
  }

  /**
   * Returns once everything answered for the account before this call is counted: its batches
   * in this process's backlog counted now, and every journal entry it had then gone (another
   * process's backlog or batch in flight, a repair due), waiting up to `maxMs`; else throws a
   * retryable error. Reads call it first, so that a batch answered 200 is in the next read.
   */
  async counted(account: string, maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    // This account's batches in the backlog are counted now, apart from the other accounts'
    // (whose counting may be waiting for another account's lease), and waited for no longer than
    // the caller would wait: their counting may wait for this account's lease, held elsewhere.
    const countOurs = () =>
      this.backlog.has(account) ? atMost(this.countAccount(account).catch(() => undefined), Math.max(0, deadline - Date.now())) : undefined;
    this.awaited.set(account, (this.awaited.get(account) ?? 0) + 1);
    try {
      await countOurs();
      if (!(await this.journal.drained(account, Math.max(0, deadline - Date.now()), () => this.closed, countOurs))) {
        throw new RetryableError(`what was stored for ${account} before this call is not counted yet (a batch in flight or a repair due); retry shortly`);
      }
    } finally {
      const left = this.awaited.get(account)! - 1;
      if (left === 0) this.awaited.delete(account);
      else this.awaited.set(account, left);
    }
  }

  /**
   * Counts every batch in the backlog now (in this process's turn of writing, after the backlog's
   * countings already queued). A batch that fails to be counted has its entry given up, for the
   * account's repair, which counts it from its stored events.
   */
  countBacklog(): Promise<void> {
    if (this.backlogTimer) clearTimeout(this.backlogTimer);
    this.backlogTimer = undefined;
    if (this.closed) return Promise.resolve();
    if (this.nextCount) return this.nextCount;
    const next: Promise<void> = this.lastCount
      .catch(() => undefined)
      .then(() =>
        this.inTurn("", async () => {
          // Started: what is added from now on waits for the next counting.
          if (this.nextCount === next) this.nextCount = undefined;
          await this.track(this.countTaken(this.backlog.take()));
        }),
      );
    this.nextCount = next;
    this.lastCount = next;
    return next;
  }

  /** Counts the account's batches in the backlog now, without the other accounts' (in this process's turn of writing). */
  private countAccount(account: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.inTurn(account, async () => {
      const u = this.backlog.takeAccount(account);
      if (u) await this.track(this.countTaken([[account, u]]));
    });
  }

  /**
   * Counts taken backlog account by account; the first failure is thrown after the rest were
   * tried. Accounts whose lease is free go first, then those whose lease is held elsewhere
   * (waited for as a batch waits): one busy lease holds up no other account's counting, nor the
   * reads waiting for it. (One lease is held at a time: the order cannot deadlock.)
   */
  private async countTaken(taken: [string, Uncounted][]): Promise<void> {
    let failure: { err: unknown } | undefined;
    const count = async ([account, u]: [string, Uncounted], leaseWaitMs: number): Promise<boolean> => {
      try {
        await this.countUnderLease(account, u.entryIds, u.docs, (at) => this.dieIfDue(at!), u.openedAt, leaseWaitMs);
      } catch (err) {
        // Nothing was written: counted in the second round.
        if (leaseWaitMs === 0 && err instanceof LeaseBusyError) return false;
        await this.journal.abandon(u.entryIds);
        failure ??= { err };
      }
      return true;
    };
    const busy: [string, Uncounted][] = [];
    for (const t of taken) if (!(await count(t, 0))) busy.push(t);
    for (const t of busy) await count(t, 4 * this.leases.ttlMs);
    if (failure) throw failure.err;
  }

  /**
   * Stores a purchase and counts it into the rollups, journaled and under the account's lease
   * (held from before the insert, so a rebuild either counts the stored purchase or runs after
   * it was counted), in the ingest's turn on a single-writer database. A repeated order id, also
   * when repeats race, is stored and counted once: the unique `_id` decides, only the winner
   * counts (a repeat is answered once the first is counted: whenCounted). Cut short, its entry is
   * given up and the account rebuilt, purchases included.
   *
   * `attribute` (the campaign credited, from the contact's click days) runs under the lease too:
   * read before it, a rebuild that began meanwhile could have cleared the click days, and the
   * purchase was stored with no campaign for good (a rebuild recounts purchases as stored).
   */
  async recordPurchase(account: string, p: Omit<PurchaseInput, "attributedCampaignId">, attribute: () => Promise<string | null>, now: Date): Promise<PurchaseOutcome> {
    if (this.closed) throw new DatabaseDownError("the ingest is shutting down");
    const outcome = await this.journaledAlone(account, now, (entryId, lease) => this.countPurchase(account, entryId, lease, p, attribute, now));
    if (outcome.duplicate) await this.whenCounted(account);
    return outcome;
  }

  private async countPurchase(
    account: string,
    entryId: string,
    lease: Lease,
    input: Omit<PurchaseInput, "attributedCampaignId">,
    attribute: () => Promise<string | null>,
    now: Date,
  ): Promise<PurchaseOutcome> {
    // A rebuild cut short (or begun after the caller's check) left the click days partial.
    if ((await this.leases.state(account)).rebuilding) throw new RetryableError(`${account} is being rebuilt; retry shortly`);
    const p: PurchaseInput = { ...input, attributedCampaignId: await attribute() };
    const outcome = await this.purchases.insert(account, p, now);
    if (outcome.duplicate) return outcome;
    if ((await this.journal.existing([entryId])).size === 0) {
      await this.journal.queueRebuild([account], `taken-over-${randomUUID()}`);
      return outcome;
    }
    const { hours, campaigns } = new DeltaBuilder()
      .purchase({ ts: p.timestamp, currency: p.currency, amount: p.amount, campaign: p.attributedCampaignId })
      .build();
    lease.check();
    await this.exclusive([account], () => this.rollups.apply(account, hours, campaigns));
    return outcome;
  }

  /**
   * UpsertCampaign's writes, `campaigns` and then the account's list, journaled and under the
   * account's lease like a batch (the list's writers take turns), in the ingest's turn on a
   * single-writer database. Cut short between the two (a crash, a database error), the entry is
   * due and the account's repair rebuilds the list from `campaigns`: the two converge without
   * the client's retry (which, idempotent, would do the same).
   */
  async registerCampaign(account: string, c: RegisteredCampaign, now: Date): Promise<void> {
    if (this.closed) throw new DatabaseDownError("the ingest is shutting down");
    await this.journaledAlone(account, now, async (_entryId, lease) => {
      await this.campaigns.upsert(account, c, now);
      this.dieIfDue("after-campaign");
      lease.check();
      await this.exclusive([account], () => this.list.register(account, [c], lease.token));
    });
  }

  /**
   * Runs `write` in the account's turn, under a journal entry of its own and holding the account's
   * lease (underLease). The entry is closed when `write` succeeds, and also when the lease stayed
   * busy (`write` never ran: no rebuild is owed); given up (due at once for the account's repair)
   * when `write` failed.
   */
  private journaledAlone<T>(account: string, now: Date, write: (entryId: string, lease: Lease) => Promise<T>): Promise<T> {
    let result: { value: T } | undefined;
    return this.inTurn(account, async () => {
      const [entry] = await this.journal.open([account], now);
      try {
        result = { value: await this.track(this.underLease(account, 4 * this.leases.ttlMs, (lease) => write(entry!._id, lease))) };
        await this.journal.close([entry!._id]);
      } catch (err) {
        if (err instanceof LeaseBusyError) await this.journal.close([entry!._id]);
        else await this.journal.abandon([entry!._id]);
        throw err;
      }
    }).then(() => result!.value);
  }

  /**
   * Runs `fn` holding the account's lease (waited for up to `waitMs`) and gives it back after.
   * A lease found lost queues one more rebuild of the account (see afterLeaseLost).
   */
  private async underLease<T>(account: string, waitMs: number, fn: (lease: Lease) => Promise<T>): Promise<T> {
    const lease = await this.leases.acquire(account, waitMs);
    try {
      return await fn(lease);
    } catch (err) {
      await this.afterLeaseLost(account, err);
      throw err;
    } finally {
      await this.leases.release(lease).catch(() => undefined);
    }
  }

  /** The test hook: SIGKILL the nth time this point is reached (MISAR_TEST_DIE_AT). */
  private dieIfDue(at: DiePoint): void {
    const die = this.dieAt;
    if (die !== undefined && die.point === at && ++this.reachedDiePoint === die.nth) process.kill(process.pid, "SIGKILL");
  }

  /** Runs `task` in this process's turn of writing (on a single-writer database), else at once. */
  private inTurn(account: string, task: () => Promise<void>): Promise<void> {
    if (this.caps.concurrentWriters) return task();
    return new Promise((resolve, reject) => {
      this.waiting.push({ account, input: [], now: new Date(), fault: undefined, resolve: () => resolve(), reject, task });
      if (this.writers < this.lanes) void this.writeWaiting();
    });
  }

  private async writeWaiting(): Promise<void> {
    this.writers++;
    for (;;) {
      const group = takeGroup(this.waiting, this.caps.atomicUpdates ? undefined : this.writingNow);
      if (group.length === 0) break;
      for (const b of group) this.writingNow.add(b.account);
      try {
        if (group[0]!.task) {
          await group[0]!.task();
          group[0]!.resolve({ accepted: 0, duplicates: 0 });
          continue;
        }
        const results = await this.track(this.recordGroup(group));
        group.forEach((b, i) => b.resolve(results[i]!));
      } catch (err) {
        for (const b of group) b.reject(err);
      } finally {
        for (const b of group) this.writingNow.delete(b.account);
      }
    }
    this.writers--;
  }

  /** Records batches together; each gets its own result, as if it had been written alone and in order. */
  private async recordGroup(group: Omit<Waiting, "resolve" | "reject">[]): Promise<RecordResult[]> {
    const fault = (at: FaultPoint) => {
      if (group.some((b) => b.fault === at)) throw new Error(`simulated failure ${at}`);
      this.dieIfDue(at!);
    };
    const openedAt = performance.now();
    // Counted later, with the batches answered within the delay; a test's fault point at once.
    const later = this.countDelayMs > 0 && group.every((b) => b.fault === undefined);
    // On a single writer, a batch of an account whose batches wait in the backlog joins their
    // journal entry rather than writing one of its own (one insert fewer per batch). Safe there
    // alone: the backlog's counting, which closes that entry, takes its turn after this group
    // has stored its events and added them to the backlog, never between. Only an entry that
    // cannot have lapsed is joined (IngestJournal.joinable): not one given up (a batch that
    // joined it failed: due for the account's repair), nor one a repair may have removed.
    const joined = new Map<string, string>();
    if (later && !this.caps.concurrentWriters) {
      for (const b of group) {
        const entry = this.backlog.entryOf(b.account);
        if (entry !== undefined && this.journal.joinable(entry)) joined.set(b.account, entry);
      }
    }
    const opened = await this.journal.open(group.filter((b) => !joined.has(b.account)).map((b) => b.account), group[0]!.now);
    let next = 0;
    const entryOf = group.map((b) => joined.get(b.account) ?? opened[next++]!._id);
    const entryIds = [...new Set(entryOf)];
    try {
      fault("after-journal");
      const docs = group.map((b, i) => this.events.toDocs(b.account, entryOf[i]!, b.input));
      const all = docs.flat();
      // A producer id twice in the group is stored for its first batch and a duplicate for the later.
      const isNew = new Set(await this.events.insertNew(all));
      fault("after-raw");
      const inserted = new Map<string, EmailEventDoc[]>();
      all.forEach((d, i) => {
        if (!isNew.has(i)) return;
        const list = inserted.get(d.a);
        if (list) list.push(d);
        else inserted.set(d.a, [d]);
      });
      if (later) {
        // Entries opened here with nothing to count (every event a duplicate) close now; the
        // others once counted (a joined entry is the backlog's: closed with its batches).
        await this.journal.close(opened.filter((j) => !inserted.has(j.a)).map((j) => j._id));
        for (const [account, docs] of inserted) {
          this.backlog.add(account, [...new Set(entryOf.filter((_, i) => group[i]!.account === account))], docs, openedAt);
        }
        this.backlogTimer ??= setTimeout(() => void this.countBacklog().catch(() => undefined), this.countDelayMs);
      } else {
        // Accounts in one order everywhere, so two groups never wait for each other's leases.
        for (const account of [...inserted.keys()].sort()) {
          const ids = opened.filter((j) => j.a === account).map((j) => j._id);
          await this.countUnderLease(account, ids, inserted.get(account)!, fault, openedAt);
        }
        await this.journal.close(entryIds);
      }
      let offset = 0;
      return docs.map((d) => {
        let accepted = 0;
        for (let i = offset; i < offset + d.length; i++) if (isNew.has(i)) accepted++;
        offset += d.length;
        return { accepted, duplicates: d.length - accepted };
      });
    } catch (err) {
      // Left for a repair: the entries are due at once (or when they lapse, if this write fails too).
      await this.journal.abandon(entryIds);
      throw err;
    }
  }

  /**
   * Counts a group's new events of one account while holding its lease, and closes the account's
   * entries (opened at `openedAt`, performance.now()) before giving the lease back. An entry that
   * vanished meanwhile was taken for dead by a repair, which may have counted some of its events:
   * those are left to one more rebuild rather than counted twice. Only a repair removes entries,
   * and only under the account's lease: a lease this process kept unused since before the entries
   * were opened (held against every other process, used by nothing here) saw no repair, so the
   * entries are known to exist without reading them.
   */
  private countUnderLease(
    account: string,
    entryIds: string[],
    docs: EmailEventDoc[],
    fault: (at: FaultPoint) => void,
    openedAt: number,
    leaseWaitMs = 4 * this.leases.ttlMs,
  ): Promise<void> {
    return this.underLease(account, leaseWaitMs, async (lease) => {
      const unused = lease.unusedSince !== undefined && lease.unusedSince < openedAt;
      const still = unused ? new Set(entryIds) : await this.journal.existing(entryIds);
      if (still.size < entryIds.length) await this.journal.queueRebuild([account], `taken-over-${randomUUID()}`);
      await this.exclusive([account], () => this.count(account, docs.filter((d) => still.has(d.b)), lease, fault));
      // Closed before the lease goes: a repair that took the lease in between would clear the
      // counts just made and leave these events out as still in flight, losing them for good.
      lease.check();
      await this.journal.close(entryIds);
    });
  }

  /**
   * One pass of repair: rebuilds every account with a due journal entry whose lease is free.
   * Returns the accounts rebuilt. Safe in any process at any time, also beside ingest.
   */
  async repairDue(observe?: RebuildObserver): Promise<string[]> {
    const left = new Set(await this.dueAccounts());
    const repaired: string[] = [];
    while (left.size > 0) {
      if (this.closed) break;
      // An account a re-send is waiting on (whenCounted) goes before the others: after a
      // migration queued every account, it would otherwise wait behind the whole queue and be
      // answered 503 until the pass reached it (review s8c M1).
      const awaited = [...this.awaited.keys()].find((a) => left.has(a));
      const account = awaited ?? left.values().next().value!;
      left.delete(account);
      let done = false;
      await this.inTurn(account, async () => {
        // Its lease is waited for (up to LEASE_TTL_MS): the reader counting its backlog holds
        // it, and a pass that skipped it would leave it behind the whole queue again.
        done = await this.track(this.repairAccount(account, observe, awaited ? this.leases.ttlMs : 0));
      });
      if (done) repaired.push(account);
    }
    return repaired;
  }

  /** Accounts with a due journal entry. */
  async dueAccounts(): Promise<string[]> {
    const now = Date.now();
    return [...new Set((await this.journal.all()).filter((e) => isDue(e, now)).map((e) => e.a))];
  }

  /** Rebuilds one account from its raw events now (queued as due, then repaired). */
  async rebuild(account: string): Promise<void> {
    await this.journal.queueRebuild([account], `manual-${randomUUID()}`);
    for (let i = 0; ; i++) {
      let done = false;
      await this.inTurn(account, async () => {
        done = await this.track(this.repairAccount(account));
      });
      if (done) return;
      if (i > 100) throw new LeaseLostError(`could not rebuild ${account}: its lease stayed busy`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Under the account's lease (false if another holder has it, after `leaseWaitMs`): clears its derived data and
   * counts its raw events again, in time order, leaving out events of batches still live in the
   * journal (their writers count them once the lease is free: they cannot finish before). Then
   * removes the due entries it was run for.
   */
  private async repairAccount(account: string, observe?: RebuildObserver, leaseWaitMs = 0): Promise<boolean> {
    const lease =
      leaseWaitMs > 0
        ? await this.leases.acquire(account, leaseWaitMs).catch((err: unknown) => {
            if (err instanceof LeaseBusyError) return undefined;
            throw err;
          })
        : await this.leases.tryAcquire(account);
    if (!lease) return false;
    try {
      const now = Date.now();
      const due = new Set((await this.journal.ofAccount(account)).filter((e) => isDue(e, now)).map((e) => e._id));
      if (due.size === 0) return false;
      observe?.(account, "start");
      await this.exclusive([account], async () => {
        await this.leases.beginRebuild(lease);
        lease.check();
        await this.rollups.clearAccount(account);
        await this.marks.clearAccount(account);
        await this.clicks.clearAccount(account);
        await this.links.clearAccount(account);
        // The list from its sources: registrations now, the events' campaigns as they are counted.
        await this.list.clearAccount(account);
        await this.list.register(account, await this.campaigns.ofAccount(account), lease.token);
        // Purchases first: their rollups do not depend on the order of anything. (A purchase is
        // stored and counted under this lease, so none is half-way now.)
        await this.purchases.forEach(account, async (page) => {
          const d = new DeltaBuilder();
          for (const p of page) d.purchase(p);
          const { hours, campaigns } = d.build();
          lease.check();
          await this.rollups.apply(account, hours, campaigns);
        });
        // In time order, so that each message's first open/click is met first and never moves. In
        // pages rather than one cursor: an open cursor would hold FerretDB's SQLite transaction (and
        // with it the write lock) while the pages are counted.
        let after: { ts: Date; _id: string } | undefined;
        for (;;) {
          const filter = after
            ? { a: account, $or: [{ ts: { $gt: after.ts } }, { ts: after.ts, _id: { $gt: after._id } }] }
            : { a: account };
          const page = await this.events.col.find(filter).sort({ ts: 1, _id: 1 }).limit(REBUILD_PAGE).toArray();
          if (page.length === 0) break;
          if (this.closed) throw new DatabaseDownError("shutting down: the rebuild is left for the next start or another instance");
          // Read after the page: a batch whose events the page holds had its entry written before them.
          const inFlight = new Set((await this.journal.ofAccount(account)).map((e) => e._id).filter((id) => !due.has(id)));
          await this.count(account, page.filter((d) => !inFlight.has(d.b)), lease);
          const last = page[page.length - 1]!;
          after = { ts: last.ts, _id: last._id };
          if (page.length < REBUILD_PAGE) break;
        }
      });
      // Cleared before the entries go: a failure in between leaves them due, for one more rebuild.
      await this.leases.endRebuild(lease);
      lease.check();
      await this.journal.remove([...due]);
      observe?.(account, "end");
      return true;
    } catch (err) {
      await this.afterLeaseLost(account, err);
      throw err;
    } finally {
      await this.leases.release(lease).catch(() => undefined);
    }
  }

  /**
   * A holder that finds its lease lapsed may have had a write land after another holder took
   * over: the account is queued for one more rebuild, after every write of this holder.
   */
  private async afterLeaseLost(account: string, err: unknown): Promise<void> {
    if (err instanceof LeaseLostError) await this.journal.queueRebuild([account], `lease-lost-${randomUUID()}`).catch(() => undefined);
  }

  /**
   * Runs `fn`, which updates these accounts' derived documents, as their only writer among the
   * processes where racing updates are not atomic (AccountLocks); elsewhere simply runs it.
   */
  exclusive<T>(accounts: string[], fn: () => Promise<T>): Promise<T> {
    return this.locks && accounts.length > 0 ? this.locks.with(accounts, fn) : fn();
  }

  /** Whether reads of the account can be trusted now (see AccountLeases.state). */
  repairState(account: string): Promise<RepairState> {
    return this.leases.state(account);
  }

  /** Counts newly stored events into the marks, the rollups, the links, the campaign list and the contacts' human clicks. */
  private async count(account: string, docs: EmailEventDoc[], lease: Lease, fault: (at: FaultPoint) => void = () => {}): Promise<void> {
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
    lease.check();
    const changes = await this.marks.apply(account, candidates);
    fault("after-marks");
    const { hours, campaigns, links } = new DeltaBuilder().events(docs).firsts(changes).build();
    lease.check();
    await this.rollups.apply(account, hours, campaigns);
    fault("after-rollups");
    lease.check();
    await this.links.add(account, links, lease.token);
    await this.list.seen(account, campaigns.map((c) => ({ id: c.campaignId, firstSend: c.firstSend })), lease.token);
    lease.check();
    await this.clicks.add(account, clicks);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.active.add(work);
    void work.finally(() => this.active.delete(work)).catch(() => undefined);
    return work;
  }

  private async renew(): Promise<void> {
    try {
      await this.journal.renew();
      await this.leases.renew();
    } catch {
      // The database is down: entries and leases lapse unless a later renewal succeeds.
    }
  }

  /**
   * Stops: no new batches; waits up to `graceMs` for the batch being written, then gives up this
   * process's journal entries and leases so that any instance, or the next start, repairs them
   * without waiting out their ttl.
   */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    if (this.backlogTimer) clearTimeout(this.backlogTimer);
    this.backlogTimer = undefined;
    for (const w of this.waiting.splice(0)) w.reject(new DatabaseDownError("the ingest is shutting down"));
    const deadline = Date.now() + graceMs;
    const settle = (ms: number) => Promise.race([Promise.allSettled([...this.active]), new Promise((r) => setTimeout(r, Math.max(0, ms)))]);
    if (this.active.size > 0) await settle(graceMs);
    // Batches answered and not counted yet are counted in what is left of the grace period; else
    // their entries are given up below, and a repair counts them.
    if (this.active.size === 0 && this.backlog.size > 0 && Date.now() < deadline) {
      void this.track(this.countTaken(this.backlog.take())).catch(() => undefined);
      await settle(deadline - Date.now());
    }
    clearInterval(this.renewal);
    // With a write still under way, its entries and leases must lapse by themselves: a repair
    // must not start while that write may still land.
    if (this.active.size === 0) {
      await this.journal.abandonAll();
      await this.leases.releaseAll().catch(() => undefined);
    }
  }
}

/** `work`, or nothing once `ms` have passed (the work goes on). */
function atMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<void>((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}

/** How the ingest is run. */
export interface IngestOptions {
  /** How long counting may trail a batch's 200 (0: counted before it is answered). */
  countDelayMs?: number;
  /** Test hook: SIGKILL this process the nth time a write reaches this step (MISAR_TEST_DIE_AT). */
  dieAt?: { point: DiePoint; nth: number };
  /** Where several processes may write: the database for the account write locks. */
  db?: Db;
}

/**
 * Takes the batches written next: the first waiting one and those after it, up to
 * GROUP_MAX_EVENTS. A repair, or a batch with a fault point (tests), goes alone.
 */
function takeGroup(waiting: Waiting[], busy?: ReadonlySet<string>): Waiting[] {
  // Where one account's batches must not be written at once, those of an account another writer
  // is writing wait (all of them, so an account's batches keep their order).
  const free = busy ? waiting.filter((b) => !busy.has(b.account)) : waiting;
  if (free.length === 0) return [];
  let n = 1;
  let events = free[0]!.input.length;
  const alone = (w: Waiting) => w.fault !== undefined || w.task !== undefined;
  if (!alone(free[0]!)) {
    while (n < free.length && !alone(free[n]!) && events + free[n]!.input.length <= GROUP_MAX_EVENTS) {
      events += free[n]!.input.length;
      n++;
    }
  }
  const group = free.slice(0, n);
  for (const b of group) waiting.splice(waiting.indexOf(b), 1);
  return group;
}
