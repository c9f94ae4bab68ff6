import { randomUUID } from "node:crypto";
import type { Collection, Db } from "mongodb";
import type { Capabilities } from "./capabilities.js";
import { prepareCollection } from "./indexes.js";
import { insertNew } from "./insert-new.js";

/**
 * `ingest_batches`: one entry per batch whose counts are not yet known to be applied, written
 * before its raw events. Its writer renews `until` while it works; an entry whose `until` has
 * passed (or that has none: a queued rebuild) is due for repair: its writer died, failed, or
 * was cut short, and the account's derived data may lack or half-contain its events.
 */
export interface JournalEntry {
  _id: string;
  /** Account */
  a: string;
  /** When the batch arrived (1970 for a queued rebuild). */
  at: Date;
  /** The writing process (absent on a queued rebuild). */
  owner?: string;
  /** Live until then unless renewed. */
  until?: Date;
}

/** The journal of in-flight batches, and the renewal of this process's entries. */
export class IngestJournal {
  private readonly col: Collection<JournalEntry>;
  /** Entries this process is still working on (renewed), by `_id`, with when (Date.now()) their `until` was last written. */
  private readonly live = new Map<string, number>();
  /** When (Date.now()) each live entry was inserted. */
  private readonly insertedAt = new Map<string, number>();
  constructor(
    db: Db,
    private readonly owner: string,
    private readonly ttlMs: number,
  ) {
    this.col = db.collection<JournalEntry>("ingest_batches");
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    await prepareCollection(this.col, caps);
  }

  /** Opens one entry per account given (in order) and returns them; they stay live until closed or abandoned. */
  async open(accounts: string[], now: Date): Promise<JournalEntry[]> {
    const written = Date.now();
    const until = new Date(written + this.ttlMs);
    const entries = accounts.map((a) => ({ _id: randomUUID(), a, at: now, owner: this.owner, until }));
    if (entries.length === 0) return entries;
    for (const e of entries) {
      this.live.set(e._id, written);
      this.insertedAt.set(e._id, written);
    }
    try {
      await this.col.insertMany(entries);
    } catch (err) {
      // The insert may have landed all the same (its answer lost): left live, the entries would
      // be renewed forever, never due, and every read of their accounts would wait on them.
      await this.abandon(entries.map((e) => e._id));
      throw err;
    }
    return entries;
  }

  /**
   * Whether another batch may join the entry (store its events under it, EmailIngest.recordGroup):
   * this process still works on it, and it was inserted less than half a ttl ago, so it cannot
   * have lapsed and been removed by a repair (it lives a whole ttl from its insert even if no
   * renewal ever lands), whatever its renewals did since.
   */
  joinable(id: string): boolean {
    const inserted = this.insertedAt.get(id);
    return this.live.has(id) && inserted !== undefined && Date.now() - inserted < this.ttlMs / 2;
  }

  /** The `_id`s of these entries that still exist (a repair that thought their writer dead removes them). */
  async existing(ids: string[]): Promise<Set<string>> {
    const found = await this.col.find({ _id: ids.length === 1 ? ids[0]! : { $in: ids } }).project<{ _id: string }>({ _id: 1 }).toArray();
    return new Set(found.map((d) => d._id));
  }

  /**
   * The batch is counted: its entry goes. Only entries still live here are deleted: a group's
   * accounts close their own entries under their leases, and the group then closes all of them
   * (those whose events were all duplicates) without a second delete of the others.
   */
  async close(ids: string[]): Promise<void> {
    const open = ids.filter((id) => this.live.has(id));
    await this.remove(open);
    for (const id of open) {
      this.live.delete(id);
      this.insertedAt.delete(id);
    }
  }

  /**
   * This process gives up on these entries (the batch failed or was cut short): they are no
   * longer renewed, and are marked due at once (best effort: if that write fails too, they lapse).
   */
  async abandon(ids: string[]): Promise<void> {
    for (const id of ids) {
      this.live.delete(id);
      this.insertedAt.delete(id);
    }
    await this.col.updateMany({ _id: { $in: ids } }, { $set: { until: new Date(0) } }).catch(() => undefined);
  }

  /** Abandons every entry of this process (shutdown). */
  async abandonAll(): Promise<void> {
    await this.abandon([...this.live.keys()]);
  }

  /** Queues accounts for a rebuild from their raw events; `tag` keeps one entry per account and reason. */
  async queueRebuild(accounts: string[], tag: string): Promise<void> {
    await insertNew(this.col, accounts.map((a) => ({ _id: `rebuild|${tag}|${a}`, a, at: new Date(0) })));
  }

  /** Every open entry (the collection holds only batches in flight and repairs due: it stays small). */
  async all(): Promise<JournalEntry[]> {
    return this.col.find({}).toArray();
  }

  /** The open entries of one account. */
  async ofAccount(account: string): Promise<JournalEntry[]> {
    return this.col.find({ a: account }).toArray();
  }

  /**
   * Waits until every entry the account has now is gone: closed by its writer once its events
   * were counted, or removed by the repair that counted them (a due one: within the ttl plus a
   * rebuild). Events stored by any batch before this call are then counted. False if some entry
   * is still there after `maxMs`, or once `stop()` says so. `waiting` runs before each wait (this
   * process counting its own backlog, which may hold one of them by then).
   */
  async drained(account: string, maxMs: number, stop: () => boolean, waiting?: () => Promise<void> | undefined): Promise<boolean> {
    const deadline = Date.now() + maxMs;
    let ids = (await this.ofAccount(account)).map((e) => e._id);
    for (let delay = 10; ids.length > 0; delay = Math.min(delay * 2, 200)) {
      if (Date.now() > deadline || stop()) return false;
      await waiting?.();
      await new Promise((r) => setTimeout(r, delay));
      ids = [...(await this.existing(ids))];
    }
    return true;
  }

  async remove(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    if (ids.length === 1) await this.col.deleteOne({ _id: ids[0]! });
    else await this.col.deleteMany({ _id: { $in: ids } });
  }

  /**
   * Extends this process's live entries written more than an eighth of the ttl ago. A batch
   * takes ~0.1 s and its entry lives 5 s (the default ttl): a renewal of every live entry at each
   * tick (every ttl/4) wrote a batch's entry again one time in ten, a write on the single writer
   * (FerretDB/SQLite) that the batch then waited for. An entry is still renewed with at least
   * 5/8 of its ttl left (written ≤ ttl/8 + ttl/4 before).
   */
  async renew(): Promise<void> {
    const now = Date.now();
    const due = [...this.live].filter(([, written]) => now - written > this.ttlMs / 8).map(([id]) => id);
    if (due.length === 0) return;
    await this.col.updateMany({ _id: due.length === 1 ? due[0]! : { $in: due } }, { $set: { until: new Date(now + this.ttlMs) } });
    for (const id of due) if (this.live.has(id)) this.live.set(id, now);
  }
}

/** Due for repair at `now`: a queued rebuild, or an entry its writer stopped renewing. */
export function isDue(e: JournalEntry, now: number): boolean {
  return e.until === undefined || e.until.getTime() < now;
}
