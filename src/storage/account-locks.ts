import { randomUUID } from "node:crypto";
import type { Collection, Db } from "mongodb";
import type { Capabilities } from "./capabilities.js";
import { isDuplicateKey } from "./duplicate-key.js";
import { prepareCollection } from "./indexes.js";

/**
 * `account_write_locks`: which process writes an account's derived documents now, where the
 * database does not apply racing updates of one document atomically (`caps.atomicUpdates`
 * false, with several processes writing: FerretDB on PostgreSQL). One document per locked
 * account; the unique `_id` makes one insert win. A lock outlives a killed holder by at most
 * LOCK_TTL_MS; a live holder extends it while it writes.
 */
interface LockDoc {
  /** `account` (or `<account>|cleared|<o>|<n>`: a claim to clear that lapsed lock, see `claimClearing`) */
  _id: string;
  /** The holder: a random id per lock taken (`cleared` in a claim). */
  o: string;
  /** Held until then unless extended. */
  until: Date;
}

const LOCK_TTL_MS = 10_000;
const EXTEND_EVERY_MS = 3_000;
const RETRY_MS = 15;
/** The holder named in a claim to clear a lapsed lock (`claimClearing`): no taker's. */
const CLEARED = "cleared";

/** A holder's lock is no longer certainly its own (it lapsed unextended, or another took it): the holder must stop writing. */
export class LockLostError extends Error {}

export class AccountLocks {
  private readonly col: Collection<LockDoc>;
  constructor(db: Db) {
    this.col = db.collection<LockDoc>("account_write_locks");
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    await prepareCollection(this.col, caps);
  }

  /**
   * Runs `fn` holding every account's lock (taken in sorted order, so two holders never wait on
   * each other). Extensions fail quietly (a database blip, a stalled event loop): a long holder
   * calls `stillHeld` before each part of its writes, which reads the locks and throws
   * LockLostError unless every one is still its own and not about to lapse.
   */
  async with<T>(accounts: string[], fn: (stillHeld: () => Promise<void>) => Promise<T>): Promise<T> {
    const held: LockDoc[] = [];
    const timer = setInterval(() => void this.extend(held), EXTEND_EVERY_MS);
    const stillHeld = async () => {
      for (const l of held) {
        const doc = await this.col.findOne({ _id: l._id });
        // Another taker deletes a lock once it has lapsed: lapsing soon is as good as lost.
        if (doc?.o !== l.o || doc.until.getTime() < Date.now() + LOCK_TTL_MS / 4) throw new LockLostError(`the lock ${l._id} is no longer held`);
      }
    };
    try {
      for (const a of [...new Set(accounts)].sort()) held.push(await this.take(a));
      return await fn(stillHeld);
    } finally {
      clearInterval(timer);
      await Promise.all(held.map((l) => this.col.deleteOne({ _id: l._id, o: l.o })));
    }
  }

  /**
   * Runs `fn` holding the lock of `account` if it is free now; undefined (nothing run) if a live
   * holder has it. For callers that poll anyway (a lease's takers): waiting here as well, each
   * retrying every RETRY_MS, a crowd of them kept a holder that must have the lock (the lease's
   * renewal) from it for seconds. A lock left lapsed by a dead holder is taken as `with` does.
   */
  async tryWith<T>(account: string, fn: () => Promise<T>): Promise<T | undefined> {
    const lock: LockDoc = { _id: account, o: randomUUID(), until: new Date(Date.now() + LOCK_TTL_MS) };
    try {
      await this.col.insertOne(lock);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const other = await this.col.findOne({ _id: account });
      if (other && other.until.getTime() >= Date.now()) return undefined;
      return this.with([account], fn);
    }
    try {
      return await fn();
    } finally {
      await this.col.deleteOne({ _id: lock._id, o: lock.o });
    }
  }

  private async take(account: string): Promise<LockDoc> {
    const lock: LockDoc = { _id: account, o: randomUUID(), until: new Date(Date.now() + LOCK_TTL_MS) };
    for (;;) {
      try {
        await this.col.insertOne(lock);
        return lock;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const other = await this.col.findOne({ _id: account });
      // A holder that died (kill -9) leaves its lock until it expires; then one taker clears it.
      if (other && other.until.getTime() < Date.now() && (await this.claimClearing(account, other.o))) await this.col.deleteOne({ _id: account, o: other.o });
      else await new Promise((r) => setTimeout(r, RETRY_MS));
      lock.until = new Date(Date.now() + LOCK_TTL_MS);
    }
  }

  /**
   * Whether this taker is the one to clear the lapsed lock `o` of `account`: decided by a unique
   * insert of `<account>|cleared|<o>|<n>`. FerretDB deletes by `_id` alone once it has found a
   * match, so two takers that both saw the lapsed lock could each delete "it", the later one
   * deleting the lock the earlier one had just taken: both then held it (41 of 80 rounds with 8
   * takers on FerretDB/SQLite, test/read/lease-take.test.ts). Claims are kept: a taker still
   * acting on what it read of that lock must find it claimed. A claim lapses like a lock (its
   * taker died before clearing), and then the next one (`n + 1`) is open.
   */
  private async claimClearing(account: string, o: string): Promise<boolean> {
    for (let n = 0; ; n++) {
      const _id = `${account}|cleared|${o}|${n}`;
      try {
        await this.col.insertOne({ _id, o: CLEARED, until: new Date(Date.now() + LOCK_TTL_MS) });
        return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const claim = await this.col.findOne({ _id });
      if (!claim || claim.until.getTime() >= Date.now()) return false;
    }
  }

  private async extend(held: LockDoc[]): Promise<void> {
    const until = new Date(Date.now() + LOCK_TTL_MS);
    await Promise.all(held.map((l) => this.col.updateOne({ _id: l._id, o: l.o }, { $set: { until } }))).catch(() => undefined);
  }
}
