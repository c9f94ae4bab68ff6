import { Long, type AnyBulkWriteOperation, type Document } from "mongodb";
import { pack, type Count } from "../packed-counts.js";
import type { Store } from "../store.js";
import type { Migration } from "./migration.js";

/**
 * The counters of a day's hours (`account_day_hours.h`), an hour's quarters
 * (`account_hour_quarters.q`) and a campaign's hourly timeline (`campaign_stats.to`/`tc`) packed
 * into strings (`p`, see packed-counts.ts), converted in place document by document: the same
 * counters under the same keys (`open07`, `open2`), the timeline's `h<epoch hour>` as
 * `o<epoch hour>` opens and `c<epoch hour>` clicks. No raw events read, no account rebuilt.
 * Idempotent: each document is converted by one update that matches it only while it still has
 * its old field, so a crash halfway leaves the rest for the next run.
 */
export const m008: Migration = {
  version: 8,
  what: "hourly, quarter-hour and campaign timeline counters packed into strings (p)",
  run: async (store: Store, stillHeld) => {
    await convert(store, stillHeld, "account_day_hours", "h", (d) => entries(d.h));
    await convert(store, stillHeld, "account_hour_quarters", "q", (d) => entries(d.q));
    await convert(store, stillHeld, "campaign_stats", "to", (d) => [
      ...entries(d.to).map(([k, v]) => [`o${k.slice(1)}`, v] as [string, Count]),
      ...entries(d.tc).map(([k, v]) => [`c${k.slice(1)}`, v] as [string, Count]),
    ]);
    return [];
  },
};

/** A stored counter object's entries, exact (a value past 2^53 comes back as a Long). */
function entries(o: unknown): [string, Count][] {
  return Object.entries((o ?? {}) as Record<string, unknown>).map(([k, v]) => [k, v instanceof Long ? v.toBigInt() : Number(v)]);
}

async function convert(store: Store, stillHeld: (() => Promise<void>) | undefined, name: string, old: string, counters: (doc: Document) => [string, Count][]): Promise<void> {
  const col = store.db.collection<Document>(name);
  // The updates are made once the cursor is done, not while it is open on the same collection.
  const ops: AnyBulkWriteOperation<Document>[] = [];
  for await (const doc of col.find({ [old]: { $exists: true } })) {
    const chunk = pack(counters(doc));
    ops.push({
      updateOne: {
        filter: { _id: doc._id, [old]: { $exists: true } },
        update: { $set: { p: chunk === "" ? [] : [chunk], g: 0 }, $unset: { h: "", q: "", to: "", tc: "" } },
      },
    });
  }
  // In slices of the database's safe bulk size (FerretDB's SQLite backend stalls on far larger ones).
  for (let i = 0; i < ops.length; i += store.caps.bulkMax) {
    await stillHeld?.();
    await col.bulkWrite(ops.slice(i, i + store.caps.bulkMax), { ordered: false });
  }
}
