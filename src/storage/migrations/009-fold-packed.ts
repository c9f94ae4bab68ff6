import type { Filter } from "mongodb";
import { fold, type PackedDoc } from "../packed-counts.js";
import type { Store } from "../store.js";
import type { Migration } from "./migration.js";

/** The packed documents (packed-counts.ts) whose chunks the writers fold. */
const PACKED = ["account_day_hours", "account_hour_quarters", "account_hour_seconds", "campaign_stats"] as const;

/**
 * Every packed document's chunks folded into one, in place: what the writers now keep them
 * near (an hour's seconds, which were never folded before, and a day's hours, folded every 4
 * appends instead of 16), so a database written by an older build reads as cheaply as a new
 * one. An hour's seconds get their fold count `g` from their first fold. No raw events read,
 * no account rebuilt, no counter changed. Idempotent: each fold applies only to the chunks it
 * read (see packed-counts.ts), and a document with one chunk is left alone, so a crash halfway
 * leaves the rest for the next run.
 */
export const m009: Migration = {
  version: 9,
  what: "packed counters folded (an hour's seconds and a day's hours included)",
  run: async (store: Store, stillHeld) => {
    for (const name of PACKED) {
      const col = store.db.collection<PackedDoc>(name);
      // The folds are made once the cursor is done, not while it is open on the same collection.
      const due: string[] = [];
      for await (const doc of col.find({} as Filter<PackedDoc>, { projection: { p: 1 } })) if ((doc.p?.length ?? 0) > 1) due.push(doc._id);
      for (const [i, id] of due.entries()) {
        if (i % store.caps.bulkMax === 0) await stillHeld?.();
        // Before serving, so on a single-writer database nothing else appends meanwhile.
        await fold(col, id, store.caps.concurrentWriters);
      }
    }
    return [];
  },
};
