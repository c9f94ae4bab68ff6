import type { Filter } from "mongodb";
import { fold, type Grid, type PackedDoc } from "../packed-counts.js";
import type { Store } from "../store.js";

/**
 * Folds every document of a packed collection that is due (more than one chunk, or, with
 * `grid`, one chunk not yet a grid; see fold), in place. Idempotent: each fold applies only to
 * the chunks it read, and a folded document is left alone, so a crash halfway leaves the rest
 * for the next run. Runs before serving, so on a single-writer database nothing else appends
 * meanwhile (the fold's update then names the document by `_id` alone, see fold).
 */
export async function foldAll(store: Store, stillHeld: (() => Promise<void>) | undefined, name: string, grid?: Grid): Promise<void> {
  const col = store.db.collection<PackedDoc>(name);
  // The folds are made once the cursor is done, not while it is open on the same collection.
  const ids: string[] = [];
  for await (const doc of col.find({} as Filter<PackedDoc>, { projection: { _id: 1 } })) ids.push(doc._id);
  for (const [i, id] of ids.entries()) {
    if (i % store.caps.bulkMax === 0) await stillHeld?.();
    await fold(col, id, store.caps.concurrentWriters, grid);
  }
}
