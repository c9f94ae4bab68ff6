import type { Collection, Db } from "mongodb";
import { emailKey, urlKey } from "./email-key.js";
import { insertNew } from "./insert-new.js";
import type { Capabilities } from "./capabilities.js";
import { prepareCollection } from "./indexes.js";

/**
 * What a mark is the first of, per message: any open or click, a human (not `machine`) one, or a
 * click on one url (`link`, with the url; only whether it exists matters: unique clicks per url).
 */
export type Engagement = "open" | "click" | "hopen" | "hclick" | "link";

/** A message's first open or first click, as a candidate from a new event. */
export interface FirstCandidate {
  campaignId: string;
  email: string;
  kind: Engagement;
  ts: Date;
  /** The clicked url, for `link` marks. */
  url?: string;
}

/** How a message's first open/click changed: `previous` is unset for a message's very first. */
export interface FirstChange {
  campaignId: string;
  email: string;
  kind: Engagement;
  ts: Date;
  previous?: Date;
  url?: string;
}

/**
 * `message_firsts`: each message's (campaign, contact) first open and first click, one document
 * per message and kind, keyed by a hash of the email (ids never carry the address itself). It
 * decides which event is a message's first; the rollups count the firsts.
 */
interface FirstDoc {
  _id: string;
  a: string;
  k: Engagement;
  ts: Date;
}

/** First times remembered in process (about 100 bytes each). */
const KNOWN_MAX = 250_000;

export class FirstMarkStore {
  readonly col: Collection<FirstDoc>;
  /**
   * First times seen by this process. A message's first only ever moves earlier, so a remembered
   * time is an upper bound even if another process moved it since: a candidate at or after it
   * cannot change anything and needs no database round trip. Repeat opens and clicks, the bulk
   * of engagement events, are settled here.
   */
  private readonly known = new Map<string, number>();
  constructor(db: Db) {
    this.col = db.collection<FirstDoc>("message_firsts");
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    // Clearing an account before a rebuild.
    await prepareCollection(this.col, caps, [{ name: "account", key: { a: 1 } }]);
  }

  /**
   * Records candidates and returns the messages whose first open/click appeared or moved
   * earlier. A message's first is inserted once (a unique `_id`); a later-arriving earlier event
   * moves it with an atomic `$min` that returns the time it replaced, so concurrent batches each
   * report exactly the moves they made.
   */
  async apply(account: string, candidates: FirstCandidate[]): Promise<FirstChange[]> {
    const best = new Map<string, FirstCandidate>();
    // An event is two or three candidates of one contact: its email is hashed once.
    const keys = new Map<string, string>();
    const keyOf = (email: string) => keys.get(email) ?? keys.set(email, emailKey(email)).get(email)!;
    for (const c of candidates) {
      const id = firstId(account, c, keyOf(c.email));
      const prev = best.get(id);
      if (!prev || c.ts < prev.ts) best.set(id, c);
    }
    const ids = [...best.keys()].filter((id) => {
      const k = this.known.get(id);
      return k === undefined || best.get(id)!.ts.getTime() < k;
    });
    if (ids.length === 0) return [];
    const taken = await insertNew(this.col, ids.map((_id) => ({ _id, a: account, k: best.get(_id)!.kind, ts: best.get(_id)!.ts })));
    const changes: FirstChange[] = [];
    const existing: string[] = [];
    ids.forEach((id, i) => {
      if (taken.has(i)) return existing.push(id);
      this.remember(id, best.get(id)!.ts);
      changes.push({ ...best.get(id)! });
    });
    // One by one: an exact `_id` is the only filter FerretDB does not answer by decoding the
    // whole collection, and these are rare (repeat opens are settled by `known`).
    for (const id of existing) {
      const c = best.get(id)!;
      const before = await this.col.findOneAndUpdate({ _id: id }, { $min: { ts: c.ts } }, { returnDocument: "before" });
      if (!before) continue; // cleared by a concurrent rebuild, which recounts it
      if (c.ts < before.ts) changes.push({ ...c, previous: before.ts });
      this.remember(id, c.ts < before.ts ? c.ts : before.ts);
    }
    return changes;
  }

  private remember(id: string, ts: Date): void {
    if (this.known.size >= KNOWN_MAX) {
      // Forget the oldest tenth (Map iteration is insertion order).
      let n = KNOWN_MAX / 10;
      for (const key of this.known.keys()) {
        this.known.delete(key);
        if (--n <= 0) break;
      }
    }
    this.known.set(id, ts.getTime());
  }

  /** Forgets the firsts this process remembers of an account (of every account when undefined). */
  forget(account: string | undefined): void {
    const prefix = account === undefined ? "" : `${account}|`;
    for (const id of this.known.keys()) if (id.startsWith(prefix)) this.known.delete(id);
  }

  /** Forgets every first of an account (before a rebuild). */
  async clearAccount(account: string): Promise<void> {
    this.forget(account);
    await this.col.deleteMany({ a: account });
  }
}

function firstId(account: string, c: FirstCandidate, email: string): string {
  const base = `${account}|${c.campaignId}|${email}|${c.kind}`;
  return c.url === undefined ? base : `${base}|${urlKey(c.url)}`;
}
