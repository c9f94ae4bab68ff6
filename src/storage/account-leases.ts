import type { Collection, Db } from "mongodb";
import { RetryableError } from "./availability.js";
import { AccountLocks } from "./account-locks.js";
import type { Capabilities } from "./capabilities.js";
import { isDuplicateKey } from "./duplicate-key.js";
import { prepareCollection } from "./indexes.js";

/**
 * `account_leases`: who may write an account's derived data (rollups, first marks, click days)
 * right now, one document per account. Applying a batch's counts and rebuilding the account from
 * its raw events both hold it, so they never interleave, in one process or across several.
 */
interface LeaseDoc {
  /** The account. */
  _id: string;
  /** The holder's token (one per acquisition), or null when free. */
  holder: string | null;
  /** The lease lapses then unless its holder renews it: a dead holder blocks no one for long. */
  until: Date;
  /** A rebuild started and has not finished: the derived data is partial, reads must not trust it. */
  rebuilding: boolean;
  /** Rebuilds started so far: a read that saw it change saw a rebuild go by. */
  rebuilds: number;
}

/** The holder no longer has the lease (it lapsed unrenewed): it must stop writing. */
export class LeaseLostError extends RetryableError {}
/** The lease stayed held by another writer for as long as the caller would wait: nothing was written under it. */
export class LeaseBusyError extends RetryableError {}

/** A lease held by this process. */
export class Lease {
  /** Until when it is known to be ours (the last successful renewal). */
  validUntil: number;
  lost = false;
  /** Another taker has asked for it (see AccountLeases.renew): released, not kept, when done. */
  wanted = false;
  /**
   * When (performance.now()) its last use ended and it was kept, held and unused, for the next
   * one; undefined for a lease just taken from the database. Read by the use it is handed to:
   * nothing in any process used it between then and this use.
   */
  unusedSince: number | undefined;
  constructor(
    readonly account: string,
    readonly token: string,
    validUntil: number,
    private readonly margin: number,
    /** The account's `rebuilds` counter as this holder knows it (read when the lease was taken). */
    public rebuilds: number,
  ) {
    this.validUntil = validUntil;
  }

  /** Throws unless the lease is safely ours for a while longer: call it before each write. */
  check(): void {
    if (this.lost || Date.now() > this.validUntil - this.margin) throw new LeaseLostError(`lease on ${this.account} lapsed`);
  }
}

/** How an account's derived data stands, for a reader. */
export interface RepairState {
  rebuilding: boolean;
  rebuilds: number;
}

/**
 * `account_leases` also holds `wanted|<account>`: a taker that found the account's lease held
 * asks for it, so that a holder keeping it between batches (`keepMs`) gives it up. A separate
 * document, inserted, never updated: where updates read, then write (FerretDB), an update of the
 * lease document itself could undo its holder's renewal.
 */
interface WantedDoc {
  _id: string;
}

/**
 * Leases on accounts, in the database with an expiry, renewed by their holder (see
 * `renew`). At most one holder per account at a time; a holder that dies loses it after `ttlMs`.
 *
 * With `keepMs`, a lease given back is kept (still held and renewed, in this process only) for
 * up to that long without use, and the next acquisition of the account here takes it without a
 * database round trip: a busy account's batches skip the two or four writes of a take and a
 * release. Exclusion is unchanged (the lease is held throughout); what changes is who waits: a
 * taker elsewhere finds the lease held until it is released, which happens when it is left
 * unused for `keepMs`, at shutdown, or, once the taker has asked (`wanted|<account>`, checked at
 * each renewal, every ttl/4), when its current use ends.
 */
export class AccountLeases {
  private readonly col: Collection<LeaseDoc>;
  private readonly wants: Collection<WantedDoc>;
  private readonly held = new Map<string, Lease>();
  /** Leases held here and not in use, by account, each with the timer that releases it. */
  private readonly kept = new Map<string, { lease: Lease; timer: NodeJS.Timeout }>();
  /** Accounts this process asked for (a `wanted` document of ours may exist). */
  private readonly asked = new Set<string>();
  /** Accounts whose lease this process gave up because another taker asked: not taken here again until then (ms). */
  private readonly yielded = new Map<string, number>();
  /** Releases under way (a kept lease's timer), by account: a take here waits for its own release to land. */
  private readonly freeing = new Map<string, Promise<void>>();
  private seq = 0;
  /**
   * Per account, its `rebuilds` counter as this process last saw it (when it took the lease, or
   * began a rebuild itself). Every account whose lease this process holds or ever took is here
   * (up to REBUILDS_SEEN_MAX; past that all is forgotten, memories included): an account missing
   * has no memories in this process.
   */
  private readonly rebuildsSeen = new Map<string, number>();
  /** Told to forget what this process remembers of an account (undefined: of every account). */
  private forgetMemories: (account: string | undefined) => void = () => {};
  /**
   * Where the database does not apply racing updates of one document atomically (FerretDB:
   * it reads, then writes), two takers could both find a lease free and both set themselves as
   * its holder; there a take, and every write of a holder to its lease document, runs under a lock
   * won by a unique insert (`lease|account`).
   */
  private readonly takeLock: AccountLocks | undefined;
  /**
   * Per account, the last of this process's own writes to its lease document (renewals on the
   * timer, a rebuild's begin and end, the release): they run one after another. Where racing
   * updates of one document are not atomic (FerretDB reads the whole document, then writes it
   * back), a renewal racing a rebuild's end wrote `rebuilding: true` back, and the account's
   * reads answered `unavailable` until its next rebuild (test/read/lease-take.test.ts).
   */
  private readonly docWrites = new Map<string, Promise<unknown>>();
  /** Tokens of the leases whose renewal is under way. */
  private readonly renewing = new Set<string>();
  constructor(
    db: Db,
    private readonly owner: string,
    readonly ttlMs: number,
    caps: Capabilities,
    /** How long a released lease is kept for this process's next use (0: released at once). */
    private readonly keepMs = 0,
  ) {
    this.col = db.collection<LeaseDoc>("account_leases");
    this.wants = db.collection<WantedDoc>("account_leases");
    this.takeLock = caps.atomicUpdates ? undefined : new AccountLocks(db);
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    await prepareCollection(this.col, caps);
  }

  /**
   * Sets what forgets this process's memories of an account's derived data (url pages, list
   * entries, first marks): called, before the lease is handed out, when a lease taken from the
   * database shows that the account was rebuilt since this process last held it (by another
   * instance, or a repair elsewhere), so that no memory of the old derived data is trusted. A
   * kept lease needs no check: held all along, nobody else could rebuild the account meanwhile.
   */
  onRebuiltElsewhere(forget: (account: string | undefined) => void): void {
    this.forgetMemories = forget;
  }

  /** Notes the account's `rebuilds` counter as this process saw it, forgetting its memories if it moved. */
  private sawRebuilds(account: string, rebuilds: number): void {
    const last = this.rebuildsSeen.get(account);
    if (last !== undefined && last !== rebuilds) this.forgetMemories(account);
    if (last === undefined && this.rebuildsSeen.size >= REBUILDS_SEEN_MAX) {
      this.rebuildsSeen.clear();
      this.forgetMemories(undefined);
      // Leases held here keep their accounts known (their memories are made under them).
      for (const lease of this.held.values()) this.rebuildsSeen.set(lease.account, lease.rebuilds);
    }
    this.rebuildsSeen.set(account, rebuilds);
  }

  /**
   * Takes the account's lease if it is free or lapsed; undefined when another holder has it.
   * `polling` (a waiter trying again): where takes run under the take lock, a lease a plain read
   * finds held and live is left without taking that lock, which the holder's renewals need too:
   * 120 waiters polling through it kept a renewal from it for up to 9 s, and the lease lapsed
   * under its live holder (test/read/lease-take.test.ts).
   */
  async tryAcquire(account: string, polling = false): Promise<Lease | undefined> {
    const kept = this.kept.get(account);
    if (kept) {
      this.kept.delete(account);
      clearTimeout(kept.timer);
      if (!kept.lease.lost && !kept.lease.wanted && Date.now() < kept.lease.validUntil - this.ttlMs / 4) return kept.lease;
      await this.free(kept.lease).catch(() => undefined);
    }
    await this.freeing.get(account);
    // Given up for a taker that asked: that taker (polling at most every POLL_MAX_MS) goes first.
    const yielding = (this.yielded.get(account) ?? 0) > Date.now();
    if (!yielding) this.yielded.delete(account);
    // Under the take lock where updates are not atomic; a take finding it busy (another take, or
    // the holder's renewal) counts as finding the lease held: its caller polls.
    const lease = yielding || (polling && this.takeLock && (await this.heldLive(account))) ? undefined : this.takeLock ? await this.takeLock.tryWith(`lease|${account}`, () => this.take(account)) : await this.take(account);
    if (lease && this.asked.delete(account)) await this.wants.deleteOne({ _id: wantedId(account) }).catch(() => undefined);
    // Held by this process itself (in use by another of its batches or repairs): nobody to ask.
    const heldHere = [...this.held.values()].some((l) => l.account === account);
    if (!lease && this.keepMs > 0 && !heldHere) await this.ask(account);
    return lease;
  }

  /** Whether the lease is held and not lapsed, as a plain read finds it now (a hint: only a take decides). */
  private async heldLive(account: string): Promise<boolean> {
    const doc = await this.col.findOne({ _id: account }, { projection: { holder: 1, until: 1 } });
    return doc !== null && doc.holder !== null && doc.until.getTime() >= Date.now();
  }

  /** Asks the holder of the account's lease to give it up when done (where holders keep leases). */
  private async ask(account: string): Promise<void> {
    this.asked.add(account);
    await this.wants.insertOne({ _id: wantedId(account) }).catch((err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
    });
  }

  private async take(account: string): Promise<Lease | undefined> {
    const token = `${this.owner}#${++this.seq}`;
    const now = Date.now();
    const until = new Date(now + this.ttlMs);
    // Returns the document as taken: its `rebuilds` says whether this process's memories of the account still hold.
    const taken = await this.col.findOneAndUpdate(
      { _id: account, $or: [{ holder: null }, { until: { $lt: new Date(now) } }] },
      { $set: { holder: token, until } },
      { returnDocument: "after" },
    );
    if (!taken) {
      try {
        await this.col.insertOne({ _id: account, holder: token, until, rebuilding: false, rebuilds: 0 });
      } catch (err) {
        if (isDuplicateKey(err)) return undefined; // held by someone else (or created by a racing acquirer)
        throw err;
      }
    }
    const lease = new Lease(account, token, until.getTime(), this.ttlMs / 4, taken?.rebuilds ?? 0);
    this.held.set(token, lease);
    this.sawRebuilds(account, lease.rebuilds);
    return lease;
  }

  /** Waits for the account's lease (polling), up to `maxWaitMs`; throws LeaseBusyError on timeout. */
  async acquire(account: string, maxWaitMs: number): Promise<Lease> {
    const deadline = Date.now() + maxWaitMs;
    for (let delay = 10, polling = false; ; delay = Math.min(delay * 2, POLL_MAX_MS), polling = true) {
      const lease = await this.tryAcquire(account, polling);
      if (lease) return lease;
      if (Date.now() > deadline) throw new LeaseBusyError(`the lease on ${account} stayed busy for ${maxWaitMs} ms`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /**
   * Gives the lease back: kept for this process's next use (`keepMs`) unless it was lost, asked
   * for, or another lease of the account is kept already; else released (best effort:
   * unreleased, it lapses after ttlMs).
   */
  async release(lease: Lease): Promise<void> {
    if (this.keepMs > 0 && !lease.lost && !lease.wanted && this.held.has(lease.token) && !this.kept.has(lease.account)) {
      const timer = setTimeout(() => {
        if (this.kept.get(lease.account)?.lease !== lease) return;
        this.kept.delete(lease.account);
        void this.free(lease).catch(() => undefined);
      }, this.keepMs);
      timer.unref();
      lease.unusedSince = performance.now();
      this.kept.set(lease.account, { lease, timer });
      return;
    }
    await this.free(lease);
  }

  /** Releases the lease in the database. */
  private async free(lease: Lease): Promise<void> {
    this.held.delete(lease.token);
    if (lease.wanted) this.yielded.set(lease.account, Date.now() + YIELD_MS);
    const done = this.inOrder(lease.account, () => this.col.updateOne({ _id: lease.account, holder: lease.token }, { $set: { holder: null, until: new Date(0) } })).then(() => undefined);
    const tracked = done.catch(() => undefined).finally(() => {
      if (this.freeing.get(lease.account) === tracked) this.freeing.delete(lease.account);
    });
    this.freeing.set(lease.account, tracked);
    await done;
  }

  /** Marks the start of a rebuild: from here until `endRebuild`, reads of the account are not exact. */
  async beginRebuild(lease: Lease): Promise<void> {
    lease.check();
    const doc = await this.inOrder(lease.account, () =>
      this.col.findOneAndUpdate({ _id: lease.account, holder: lease.token }, { $set: { rebuilding: true }, $inc: { rebuilds: 1 } }, { returnDocument: "after" }),
    );
    if (!doc) throw new LeaseLostError(`lease on ${lease.account} taken over before the rebuild began`);
    // This process's own rebuild (its memories of the account are cleared with the data).
    lease.rebuilds = doc.rebuilds;
    this.rebuildsSeen.set(lease.account, doc.rebuilds);
  }

  async endRebuild(lease: Lease): Promise<void> {
    lease.check();
    const r = await this.inOrder(lease.account, () => this.col.updateOne({ _id: lease.account, holder: lease.token }, { $set: { rebuilding: false } }));
    if (r.matchedCount === 0) throw new LeaseLostError(`lease on ${lease.account} taken over before the rebuild ended`);
  }

  /** Whether the account's derived data is being rebuilt (or a rebuild was cut short). */
  async state(account: string): Promise<RepairState> {
    const doc = await this.col.findOne({ _id: account });
    return { rebuilding: doc?.rebuilding ?? false, rebuilds: doc?.rebuilds ?? 0 };
  }

  /**
   * Extends every lease held here; one whose renewal finds it taken is marked lost. Where leases
   * are kept between uses, one that another taker asked for is released now if unused, else
   * marked to be released when its use ends (the `wanted` document goes with it: a taker that
   * still waits asks again).
   */
  async renew(): Promise<void> {
    const renewOne = async (lease: Lease) => {
      const until = new Date(Date.now() + this.ttlMs);
      const r = await this.inOrder(lease.account, () => this.col.updateOne({ _id: lease.account, holder: lease.token }, { $set: { until } }));
      if (r.matchedCount === 1) lease.validUntil = until.getTime();
      else {
        lease.lost = true;
        this.held.delete(lease.token);
      }
    };
    // A few at once, each worker taking the next lease as it finishes: each renewal may be three
    // writes (under the take lock), and all must land well within the ttl however many accounts
    // this process holds. A renewal still under way (its take lock left by a taker killed
    // mid-take, for up to 10 s) holds up only its own lease: the next renew() skips it.
    const due = [...this.held.values()].filter((l) => !this.renewing.has(l.token));
    let next = 0;
    const worker = async () => {
      for (let lease = due[next++]; lease; lease = due[next++]) {
        this.renewing.add(lease.token);
        try {
          await renewOne(lease);
        } finally {
          this.renewing.delete(lease.token);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(RENEW_AT_ONCE, due.length) }, worker));
    if (this.keepMs === 0) return;
    for (const lease of [...this.held.values()]) {
      // (One this process asked for itself, before it took it, is not another's ask.)
      if (lease.wanted || this.asked.has(lease.account) || !(await this.wants.findOne({ _id: wantedId(lease.account) }))) continue;
      lease.wanted = true;
      await this.wants.deleteOne({ _id: wantedId(lease.account) });
      const kept = this.kept.get(lease.account);
      if (kept?.lease !== lease) continue;
      this.kept.delete(lease.account);
      clearTimeout(kept.timer);
      await this.free(lease);
    }
  }

  /**
   * Runs `write` of the account's lease document after this process's earlier ones (see
   * docWrites) and, where racing updates of one document are not atomic, under the same lock as
   * a take: a holder's write that reaches the database late (a renewal sent before its lease
   * lapsed, held up by a slow or returning database) could otherwise overwrite another process's
   * take of the lapsed lease, and both would hold it. Under the lock it runs before the take (and
   * the take finds the lease renewed) or after it (and matches no document: the lease is lost).
   */
  private inOrder<T>(account: string, write: () => Promise<T>): Promise<T> {
    const takeLock = this.takeLock;
    const locked = takeLock ? () => takeLock.with([`lease|${account}`], write) : write;
    const run = (this.docWrites.get(account) ?? Promise.resolve()).then(locked);
    const settled = run.catch(() => undefined);
    this.docWrites.set(account, settled);
    void settled.then(() => {
      if (this.docWrites.get(account) === settled) this.docWrites.delete(account);
    });
    return run;
  }

  /** Lets every lease held here lapse now (a clean shutdown: others need not wait out the ttl). */
  async releaseAll(): Promise<void> {
    for (const { timer } of this.kept.values()) clearTimeout(timer);
    this.kept.clear();
    for (const lease of [...this.held.values()]) await this.free(lease);
  }
}

/** Accounts whose `rebuilds` counter is remembered (about 100 bytes each). */
const REBUILDS_SEEN_MAX = 100_000;
/** Longest pause between two tries of `acquire`. */
const POLL_MAX_MS = 200;
/** How long a lease given up for a taker that asked is left to it (longer than its pause between tries). */
const YIELD_MS = POLL_MAX_MS + 50;

function wantedId(account: string): string {
  return `wanted|${account}`;
}

/** Leases renewed at once by `renew`. */
const RENEW_AT_ONCE = 8;
