import { createHash } from "node:crypto";
import { MongoBulkWriteError, type Collection, type Db } from "mongodb";

export type Engagement = "open" | "click";

/** A message's first open or first click, as a candidate from a new event. */
export interface FirstCandidate {
  campaignId: string;
  email: string;
  kind: Engagement;
  ts: Date;
}

/** How a message's first open/click changed: `previous` is unset for a message's very first. */
export interface FirstChange {
  campaignId: string;
  email: string;
  kind: Engagement;
  ts: Date;
  previous?: Date;
}

/**
 * `message_marks`: the first open and first click time of every message (campaign, contact),
 * kept as maps inside a few bucket documents per campaign, so one batch costs one atomic
 * findOneAndUpdate per bucket touched (its `$min` returns the old values) rather than one per
 * message. Keys are a hash of the email: field names never carry user input.
 */
interface MarkDoc {
  _id: string;
  a: string;
  c: string;
  /** hash -> first open, epoch ms */
  o?: Record<string, number>;
  /** hash -> first click, epoch ms */
  k?: Record<string, number>;
}

/**
 * `first_events`: one document per message's current first open/click, so the unique counts of
 * a partial hour can be counted by time. Insert-only, except when an earlier event arrives late.
 */
interface FirstEventDoc {
  _id: string;
  a: string;
  k: Engagement;
  ts: Date;
}

const BUCKETS = 16;

export class FirstMarkStore {
  private readonly marks: Collection<MarkDoc>;
  readonly firsts: Collection<FirstEventDoc>;
  constructor(db: Db) {
    this.marks = db.collection<MarkDoc>("message_marks");
    this.firsts = db.collection<FirstEventDoc>("first_events");
  }

  async ensureIndexes(): Promise<void> {
    await this.firsts.createIndex({ a: 1, ts: 1 }, { name: "account_ts" });
  }

  /**
   * Records candidates and returns the messages whose first open/click moved (or appeared).
   * Atomic per bucket document, so concurrent batches see a consistent order.
   */
  async apply(account: string, candidates: FirstCandidate[]): Promise<FirstChange[]> {
    // Only the earliest candidate per message and kind matters.
    const best = new Map<string, FirstCandidate & { hash: string; bucket: string }>();
    for (const c of candidates) {
      const hash = emailHash(c.email);
      const mk = `${c.campaignId}|${hash}|${c.kind}`;
      const prev = best.get(mk);
      if (!prev || c.ts < prev.ts) {
        best.set(mk, { ...c, hash, bucket: `${account}|${c.campaignId}|${bucketOf(hash)}` });
      }
    }
    const byBucket = new Map<string, (FirstCandidate & { hash: string })[]>();
    for (const c of best.values()) {
      const list = byBucket.get(c.bucket) ?? [];
      list.push(c);
      byBucket.set(c.bucket, list);
    }
    const changes: FirstChange[] = [];
    await Promise.all(
      [...byBucket].map(async ([id, list]) => {
        const min: Record<string, number> = {};
        for (const c of list) {
          const f = `${c.kind === "open" ? "o" : "k"}.${c.hash}`;
          min[f] = c.ts.getTime();
        }
        const before = await this.marks.findOneAndUpdate(
          { _id: id },
          { $min: min, $setOnInsert: { a: account, c: list[0]!.campaignId } },
          // No projection: FerretDB's findAndModify does not support one.
          { upsert: true, returnDocument: "before" },
        );
        for (const c of list) {
          const old = (c.kind === "open" ? before?.o : before?.k)?.[c.hash];
          if (old === undefined) changes.push({ campaignId: c.campaignId, email: c.email, kind: c.kind, ts: c.ts });
          else if (c.ts.getTime() < old) {
            changes.push({ campaignId: c.campaignId, email: c.email, kind: c.kind, ts: c.ts, previous: new Date(old) });
          }
        }
      }),
    );
    return changes;
  }

  /** Keeps `first_events` in step with the changes `apply` reported. */
  async recordChanges(account: string, changes: FirstChange[]): Promise<void> {
    if (changes.length === 0) return;
    const stale = changes.filter((c) => c.previous).map((c) => firstId(account, c, c.previous!));
    const docs = changes.map((c) => ({ _id: firstId(account, c, c.ts), a: account, k: c.kind, ts: c.ts }));
    try {
      await this.firsts.insertMany(docs, { ordered: false });
    } catch (err) {
      // A repaired batch may insert what is there already.
      if (!(err instanceof MongoBulkWriteError)) throw err;
      const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      if (errors.some((e) => e.code !== 11000)) throw err;
    }
    // Exact _ids, one by one: FerretDB pushes down only exact _id filters.
    await Promise.all(stale.map((_id) => this.firsts.deleteOne({ _id })));
  }

  /** Counts messages whose first open / click is in `[from, to)`. */
  async countRange(account: string, from: Date, to: Date): Promise<{ open: number; click: number }> {
    const rows = await this.firsts
      .aggregate<{ _id: Engagement; n: number }>([
        { $match: { a: account, ts: { $gte: from, $lt: to } } },
        { $group: { _id: "$k", n: { $sum: 1 } } },
      ])
      .toArray();
    const out = { open: 0, click: 0 };
    for (const r of rows) out[r._id] = r.n;
    return out;
  }

  /** Forgets every mark of an account (before a rebuild). */
  async clearAccount(account: string): Promise<void> {
    await this.marks.deleteMany({ a: account });
    await this.firsts.deleteMany({ a: account });
  }
}

function emailHash(email: string): string {
  return createHash("sha256").update(email).digest("base64url").slice(0, 16);
}

function bucketOf(hash: string): number {
  return hash.charCodeAt(0) % BUCKETS;
}

function firstId(account: string, c: { campaignId: string; email: string; kind: Engagement }, ts: Date): string {
  return `${account}|${c.campaignId}|${emailHash(c.email)}|${c.kind}|${ts.getTime()}`;
}
