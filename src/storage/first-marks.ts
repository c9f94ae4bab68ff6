import type { Collection, Db } from "mongodb";
import { emailKey, urlKey } from "./email-key.js";
import { insertNew } from "./insert-new.js";
import { RetryableError } from "./availability.js";
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
 * `message_firsts`: each message's (campaign, contact) first open and first click, keyed by a hash
 * of the email (ids never carry the address itself). It decides which event is a message's first;
 * the rollups count the firsts.
 *
 * A message's open (or click) document holds its first of any kind (`ts`) and, since layout 2
 * (`v: 2`), its first by a person (`human`, absent until one): one document where there were two
 * (most opens and clicks are people's), about a third fewer inserts per batch. A document without
 * `v` is of layout 1, whose first human open (click) is a document of its own (`…|hopen`,
 * `…|hclick`); such messages keep that layout, so that no existing database needs converting.
 * Url marks (`link`) are documents of their own in both.
 */
interface FirstDoc {
  _id: string;
  a: string;
  k: Engagement;
  ts: Date;
  /** Layout 2: the first human open (click) of the message, on its open (click) document. */
  human?: Date;
  v?: 2;
}

/**
 * A first this process remembered is not stored: its memories of the account were wrong (now
 * forgotten). Retryable: the batch's entry goes to the account's repair, and a re-send waits for it.
 */
export class StaleMarksError extends RetryableError {}

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
   * moves it with an atomic `$min` that returns the times it replaced, so concurrent batches each
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
    const unsettled = (id: string) => {
      const k = this.known.get(id);
      return k === undefined || best.get(id)!.ts.getTime() < k;
    };
    // One document per message and engagement (layout 2), or per url mark.
    const docs = new Map<string, FirstDoc>();
    for (const [id, c] of best) {
      if (!unsettled(id)) continue;
      if (c.kind === "link") docs.set(id, { _id: id, a: account, k: c.kind, ts: c.ts });
      else {
        // A human candidate is also one of any kind (the caller adds both), at or before it.
        const anyId = c.kind === "hopen" || c.kind === "hclick" ? anyOf(id) : id;
        if (docs.has(anyId)) continue;
        const any = best.get(anyId)!;
        const human = best.get(humanOf(anyId));
        docs.set(anyId, { _id: anyId, a: account, k: any.kind, ts: any.ts, ...(human ? { human: human.ts } : {}), v: 2 });
      }
    }
    if (docs.size === 0) return [];
    const changes: FirstChange[] = [];
    const inserted = (d: FirstDoc) => {
      this.moved(d._id, best.get(d._id)!, undefined, changes);
      if (d.human) this.moved(humanOf(d._id), best.get(humanOf(d._id))!, undefined, changes);
      if (d.v === 2) this.remember(layout2Key(d._id), new Date(0));
    };
    // A document whose first this process remembers is stored: it is updated, not inserted
    // again, since FerretDB answers an insertMany holding one duplicate by inserting its
    // documents one by one (a new human open of a message a machine opened first was one).
    const remembered = new Set([...docs.keys()].filter((id) => this.known.has(id)));
    const existing = [...docs.values()].filter((d) => remembered.has(d._id));
    const fresh = [...docs.values()].filter((d) => !remembered.has(d._id));
    const taken = await insertNew(this.col, fresh);
    fresh.forEach((d, i) => (taken.has(i) ? existing.push(d) : inserted(d)));
    // Remembered but not stored: this process's memories of the account are wrong. They are
    // forgotten whenever it is rebuilt, here or elsewhere (AccountLeases.onRebuiltElsewhere), so
    // this should not be; if it is, the counting fails and the account's repair recounts it.
    const stale = () => {
      this.forget(account);
      return new StaleMarksError(`${account}: a first remembered in process is not stored`);
    };
    // Human firsts of layout-1 messages: documents of their own, as that layout keeps them.
    const separate: FirstDoc[] = [];
    // One by one: an exact `_id` is the only filter FerretDB does not answer by decoding the
    // whole collection. Few a batch: repeat opens are settled by `known`; what is left are
    // earlier events arriving late and people's opens (clicks) of messages a machine opened
    // (clicked) first (mid-10^6, about 8 a batch of 1,000 events).
    for (const d of existing) {
      const humanId = humanOf(d._id);
      if (d.k !== "link" && this.known.has(layout2Key(d._id))) {
        // Known to be of layout 2: both times in one update, each one's previous returned.
        const times = { ...(unsettled(d._id) && { ts: d.ts }), ...(d.human !== undefined && unsettled(humanId) && { human: d.human }) };
        if (!times.ts && !times.human) continue;
        const before = await this.col.findOneAndUpdate({ _id: d._id }, { $min: times }, { returnDocument: "before" });
        if (!before) {
          if (remembered.has(d._id)) throw stale();
          continue; // found stored by the insert above, then gone: cleared by a rebuild, which recounts it
        }
        if (times.ts) this.moved(d._id, best.get(d._id)!, before.ts, changes);
        if (times.human) this.moved(humanId, best.get(humanId)!, before.human, changes);
        continue;
      }
      const before = await this.col.findOneAndUpdate({ _id: d._id }, { $min: { ts: d.ts } }, { returnDocument: "before" });
      if (!before) {
        if (remembered.has(d._id)) throw stale();
        continue; // found stored by the insert above, then gone: cleared by a rebuild, which recounts it
      }
      this.moved(d._id, best.get(d._id)!, before.ts, changes);
      if (before.v === 2) this.remember(layout2Key(d._id), new Date(0));
      if (d.human === undefined) continue;
      if (before.v !== 2) {
        if (unsettled(humanId)) separate.push({ _id: humanId, a: account, k: best.get(humanId)!.kind, ts: d.human });
      } else if (before.human === undefined || d.human < before.human) {
        // Its own update: the time it replaced decides, also against a racing batch.
        const again = await this.col.findOneAndUpdate({ _id: d._id }, { $min: { human: d.human } }, { returnDocument: "before" });
        if (again) this.moved(humanId, best.get(humanId)!, again.human, changes);
      } else this.remember(humanId, before.human);
    }
    if (separate.length === 0) return changes;
    const old = await insertNew(this.col, separate);
    for (const [i, d] of separate.entries()) {
      if (!old.has(i)) {
        this.moved(d._id, best.get(d._id)!, undefined, changes);
        continue;
      }
      const before = await this.col.findOneAndUpdate({ _id: d._id }, { $min: { ts: d.ts } }, { returnDocument: "before" });
      if (before) this.moved(d._id, best.get(d._id)!, before.ts, changes);
    }
    return changes;
  }

  /** A first found stored at `before` (undefined: none yet) against candidate `c`: a change when `c` is earlier. */
  private moved(id: string, c: FirstCandidate, before: Date | undefined, changes: FirstChange[]): void {
    if (before === undefined || c.ts < before) changes.push(before === undefined ? { ...c } : { ...c, previous: before });
    this.remember(id, before === undefined || c.ts < before ? c.ts : before);
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

/**
 * Where `known` notes that a message's open (click) document is of layout 2 (its value unused):
 * beside the firsts it remembers, so that it is forgotten with them (`forget`, the oldest tenth).
 */
function layout2Key(anyId: string): string {
  return `${anyId}|v2`;
}

/** The id of the any-kind document (`…|open`, `…|click`) of a human first's id (`…|hopen`, `…|hclick`). */
function anyOf(humanId: string): string {
  const cut = humanId.lastIndexOf("|") + 1;
  return humanId.slice(0, cut) + humanId.slice(cut + 1);
}

/** The id a human first has in layout 1 (and in `known`): `…|open` → `…|hopen`. */
function humanOf(anyId: string): string {
  const cut = anyId.lastIndexOf("|") + 1;
  return `${anyId.slice(0, cut)}h${anyId.slice(cut)}`;
}

function firstId(account: string, c: FirstCandidate, email: string): string {
  const base = `${account}|${c.campaignId}|${email}|${c.kind}`;
  return c.url === undefined ? base : `${base}|${urlKey(c.url)}`;
}
