import type { Collection, Db } from "mongodb";
import { prepareCollection } from "./indexes.js";
import type { Capabilities } from "./capabilities.js";

/**
 * `track_events`: custom events. Properties are stored as their JSON text: keys such as `$set`
 * or `a.b` then round-trip exactly and can never reach MongoDB as operators or paths.
 */
interface TrackEventDoc {
  _id: string;
  a: string;
  name: string;
  e: string;
  props: string | null;
  ts: Date;
  receivedAt: Date;
}

export interface TrackEventInput {
  eventId: string;
  name: string;
  email: string;
  properties?: unknown;
  timestamp: Date;
}

export interface StoredTrackEvent extends TrackEventInput {
  account: string;
}

export class TrackEventStore {
  private readonly col: Collection<TrackEventDoc>;
  constructor(db: Db) {
    this.col = db.collection<TrackEventDoc>("track_events");
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    await prepareCollection(this.col, caps, [{ name: "account_contact_ts", key: { a: 1, e: 1, ts: -1 } }]);
  }

  async insert(account: string, ev: TrackEventInput, now: Date): Promise<void> {
    await this.col.insertOne({
      _id: ev.eventId,
      a: account,
      name: ev.name,
      e: ev.email,
      props: ev.properties === undefined ? null : JSON.stringify(ev.properties),
      ts: ev.timestamp,
      receivedAt: now,
    });
  }

  async get(account: string, eventId: string): Promise<StoredTrackEvent | undefined> {
    const d = await this.col.findOne({ _id: eventId, a: account });
    if (!d) return undefined;
    return {
      account: d.a,
      eventId: d._id,
      name: d.name,
      email: d.e,
      properties: d.props === null ? undefined : (JSON.parse(d.props) as unknown),
      timestamp: d.ts,
    };
  }
}
