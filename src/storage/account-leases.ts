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

/** A lease held by this process. */
export class Lease {
  /** Until when it is known to be ours (the last successful renewal). */
  validUntil: number;
  lost = false;
  constructor(
    readonly account: string,
    readonly token: string,
    validUntil: number,
    private readonly margin: number,
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
 * Leases on accounts, in the database with an expiry, renewed by their holder (see
 * `renew`). At most one holder per account at a time; a holder that dies loses it after `ttlMs`.
 */
export class AccountLeases {
  private readonly col: Collection<LeaseDoc>;
  private readonly held = new Map<string, Lease>();
  private seq = 0;
  /**
   * Where the database does not apply racing updates of one document atomically (FerretDB:
   * it reads, then writes), two takers could both find a lease free and both set themselves as
   * its holder; there a take runs under a lock won by a unique insert (`lease|account`).
   */
  private readonly takeLock: AccountLocks | undefined;
  constructor(
    db: Db,
    private readonly owner: string,
    readonly ttlMs: number,
    caps: Capabilities,
  ) {
    this.col = db.collection<LeaseDoc>("account_leases");
    this.takeLock = caps.atomicUpdates ? undefined : new AccountLocks(db);
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    await prepareCollection(this.col, caps);
  }

  /** Takes the account's lease if it is free or lapsed; undefined when another holder has it. */
  async tryAcquire(account: string): Promise<Lease | undefined> {
    return this.takeLock ? this.takeLock.with([`lease|${account}`], () => this.take(account)) : this.take(account);
  }

  private async take(account: string): Promise<Lease | undefined> {
    const token = `${this.owner}#${++this.seq}`;
    const now = Date.now();
    const until = new Date(now + this.ttlMs);
    const taken = await this.col.updateOne(
      { _id: account, $or: [{ holder: null }, { until: { $lt: new Date(now) } }] },
      { $set: { holder: token, until } },
    );
    if (taken.matchedCount === 0) {
      try {
        await this.col.insertOne({ _id: account, holder: token, until, rebuilding: false, rebuilds: 0 });
      } catch (err) {
        if (isDuplicateKey(err)) return undefined; // held by someone else (or created by a racing acquirer)
        throw err;
      }
    }
    const lease = new Lease(account, token, until.getTime(), this.ttlMs / 4);
    this.held.set(token, lease);
    return lease;
  }

  /** Waits for the account's lease (polling), up to `maxWaitMs`; throws LeaseLostError on timeout. */
  async acquire(account: string, maxWaitMs: number): Promise<Lease> {
    const deadline = Date.now() + maxWaitMs;
    for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
      const lease = await this.tryAcquire(account);
      if (lease) return lease;
      if (Date.now() > deadline) throw new LeaseLostError(`the lease on ${account} stayed busy for ${maxWaitMs} ms`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** Gives the lease up (best effort: unreleased, it lapses after ttlMs). */
  async release(lease: Lease): Promise<void> {
    this.held.delete(lease.token);
    await this.col.updateOne({ _id: lease.account, holder: lease.token }, { $set: { holder: null, until: new Date(0) } });
  }

  /** Marks the start of a rebuild: from here until `endRebuild`, reads of the account are not exact. */
  async beginRebuild(lease: Lease): Promise<void> {
    lease.check();
    await this.col.updateOne({ _id: lease.account, holder: lease.token }, { $set: { rebuilding: true }, $inc: { rebuilds: 1 } });
  }

  async endRebuild(lease: Lease): Promise<void> {
    lease.check();
    const r = await this.col.updateOne({ _id: lease.account, holder: lease.token }, { $set: { rebuilding: false } });
    if (r.matchedCount === 0) throw new LeaseLostError(`lease on ${lease.account} taken over before the rebuild ended`);
  }

  /** Whether the account's derived data is being rebuilt (or a rebuild was cut short). */
  async state(account: string): Promise<RepairState> {
    const doc = await this.col.findOne({ _id: account });
    return { rebuilding: doc?.rebuilding ?? false, rebuilds: doc?.rebuilds ?? 0 };
  }

  /** Extends every lease held here; one whose renewal finds it taken is marked lost. */
  async renew(): Promise<void> {
    for (const lease of [...this.held.values()]) {
      const until = new Date(Date.now() + this.ttlMs);
      const r = await this.col.updateOne({ _id: lease.account, holder: lease.token }, { $set: { until } });
      if (r.matchedCount === 1) lease.validUntil = until.getTime();
      else {
        lease.lost = true;
        this.held.delete(lease.token);
      }
    }
  }

  /** Lets every lease held here lapse now (a clean shutdown: others need not wait out the ttl). */
  async releaseAll(): Promise<void> {
    for (const lease of [...this.held.values()]) await this.release(lease);
  }
}
