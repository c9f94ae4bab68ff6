import { randomUUID } from "node:crypto";
import type { Collection, Db } from "mongodb";
import { insertNew } from "./insert-new.js";
import { floorHour, type BounceKind, type EmailEventInput, type EmailEventKind } from "./types.js";
import { prepareCollection } from "./indexes.js";
import type { Capabilities } from "./capabilities.js";

/** `email_events`: every email event as received, the source of truth for the rollups. */
export interface EmailEventDoc {
  /** `p|account|producer id` (so a repeated id collides) or `r|account|uuid`. */
  _id: string;
  a: string;
  /** Campaign id, "" for transactional mail. */
  c: string;
  /** Lower-cased contact email. */
  e: string;
  k: EmailEventKind;
  ts: Date;
  /** Start of the UTC hour of `ts`, computed here because FerretDB has no date operators. */
  h: Date;
  bt?: BounceKind;
  url?: string;
  ua?: string;
  /** Set (true) when the producer flagged the open or click as caused by no person. */
  m?: true;
  /** The ingest batch that stored it. */
  b: string;
}

export class EmailEventStore {
  readonly col: Collection<EmailEventDoc>;
  constructor(db: Db) {
    this.col = db.collection<EmailEventDoc>("email_events");
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    await prepareCollection(this.col, caps, [
      // A rebuild pages through an account's events in time order.
      { name: "account_ts", key: { a: 1, ts: 1 } },
    ]);
  }

  /** Every account with raw events (a migration's scan, never on a request path). */
  async accounts(): Promise<string[]> {
    return (await this.col.distinct("a")) as string[];
  }

  /** Builds the documents for a batch (ids decide deduplication). */
  toDocs(account: string, batch: string, events: EmailEventInput[]): EmailEventDoc[] {
    return events.map((ev) => {
      const doc: EmailEventDoc = {
        _id: ev.id !== undefined ? `p|${account}|${ev.id}` : `r|${account}|${randomUUID()}`,
        a: account,
        c: ev.campaignId,
        e: ev.email,
        k: ev.kind,
        ts: ev.timestamp,
        h: new Date(floorHour(ev.timestamp.getTime())),
        b: batch,
      };
      if (ev.bounceType) doc.bt = ev.bounceType;
      if (ev.url) doc.url = ev.url;
      if (ev.userAgent) doc.ua = ev.userAgent;
      if (ev.machine) doc.m = true;
      return doc;
    });
  }

  /**
   * Inserts the documents in one unordered bulk write and returns the indexes of those that
   * were new; the others carried an `_id` (producer id) that was stored before.
   */
  async insertNew(docs: EmailEventDoc[]): Promise<number[]> {
    const existing = await insertNew(this.col, docs);
    return docs.map((_, i) => i).filter((i) => !existing.has(i));
  }
}
