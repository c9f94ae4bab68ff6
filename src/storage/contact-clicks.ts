import type { Collection, Db } from "mongodb";
import { emailKey } from "./email-key.js";
import type { Capabilities } from "./capabilities.js";
import { prepareCollection } from "./indexes.js";
import { InsertFirstWriter, type InsertOrUpdate } from "./insert-first.js";
import { DAY_MS, floorDay } from "./types.js";

/** A campaign click, as attribution needs it. */
export interface CampaignClick {
  email: string;
  campaignId: string;
  ts: Date;
  /** The click's event `_id`: the tie-break between clicks of the same millisecond. */
  eventId: string;
}

interface ClickEntry {
  t: Date;
  c: string;
  i: string;
}

/**
 * `contact_click_days`: a contact's campaign clicks of one UTC day, one document per account,
 * contact (by email hash) and day. Purchase attribution reads the (at most 8) days of its 7-day
 * window by `_id`, instead of searching the raw events by contact and time, which FerretDB can
 * only do by decoding every raw event.
 */
interface ContactClickDayDoc {
  /** `account|email hash|YYYY-MM-DD` */
  _id: string;
  a: string;
  k: ClickEntry[];
}

/** Click-day `_id`s remembered as existing (about 100 bytes each). */
const KNOWN_MAX = 100_000;

export class ContactClickStore {
  private readonly col: Collection<ContactClickDayDoc>;
  private readonly writer: InsertFirstWriter;
  constructor(db: Db, caps: Capabilities) {
    this.writer = new InsertFirstWriter(KNOWN_MAX, caps);
    this.col = db.collection<ContactClickDayDoc>("contact_click_days");
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    // Clearing an account before a rebuild.
    await prepareCollection(this.col, caps, [{ name: "account", key: { a: 1 } }]);
  }

  /** Adds newly stored campaign clicks: one document write per contact and day. */
  async add(account: string, clicks: CampaignClick[]): Promise<void> {
    const byDoc = new Map<string, ClickEntry[]>();
    for (const c of clicks) {
      const id = dayId(account, c.email, c.ts.getTime());
      const list = byDoc.get(id);
      const entry = { t: c.ts, c: c.campaignId, i: c.eventId };
      if (list) list.push(entry);
      else byDoc.set(id, [entry]);
    }
    const items: InsertOrUpdate<ContactClickDayDoc>[] = [...byDoc].map(([_id, k]) => ({
      doc: { _id, a: account, k },
      update: { $push: { k: { $each: k } } },
    }));
    await this.writer.write(this.col, items);
  }

  /**
   * The campaign of the contact's latest campaign click in `[from, to]` (ties: the greater event
   * `_id`), or null. Reads one document per UTC day of the range, by `_id`.
   */
  async lastClickCampaign(account: string, email: string, from: Date, to: Date): Promise<string | null> {
    const ids: string[] = [];
    for (let d = floorDay(from.getTime()); d <= to.getTime(); d += DAY_MS) ids.push(dayId(account, email, d));
    const docs = await Promise.all(ids.map((_id) => this.col.findOne({ _id })));
    let best: ClickEntry | undefined;
    for (const doc of docs) {
      for (const e of doc?.k ?? []) {
        if (e.t < from || e.t > to) continue;
        if (!best || e.t > best.t || (e.t.getTime() === best.t.getTime() && e.i > best.i)) best = e;
      }
    }
    return best?.c ?? null;
  }

  /** Forgets an account's clicks (before a rebuild). */
  async clearAccount(account: string): Promise<void> {
    this.writer.forget(`${account}|`);
    await this.col.deleteMany({ a: account });
  }
}

function dayId(account: string, email: string, ms: number): string {
  return `${account}|${emailKey(email)}|${new Date(floorDay(ms)).toISOString().slice(0, 10)}`;
}
