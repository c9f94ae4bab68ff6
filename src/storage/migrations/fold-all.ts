import type { AnyBulkWriteOperation, Filter } from "mongodb";
import { readByIds } from "../by-id.js";
import { foldDue, foldUpdate, type FoldForm, type PackedDoc } from "../packed-counts.js";
import type { Store } from "../store.js";

/**
 * Folds every document of a packed collection that is due (more than one chunk, or, with
 * `form`, one chunk not yet in that form; see foldDue), in place. One pass over the collection finds
 * the due documents (their ids only are kept: the folds are written once the cursor is done,
 * not while it is open on the same collection); then, `bulkMax` at a time, they are read by
 * `_id` (all in flight at once) and folded by one unordered bulk of updates. Runs before
 * serving, so its length is an upgrade's downtime: one round trip per document each way cost
 * ~3–8 ms a document on FerretDB/SQLite, a bulk a fraction of that (see the README's migration
 * notes). Idempotent: each fold applies only to the chunks it read, and a folded document is
 * not due, so a crash halfway leaves the rest for the next run. On a single-writer database
 * nothing else appends meanwhile, so the folds name the documents by `_id` alone (see foldRead).
 */
export async function foldAll(store: Store, stillHeld: (() => Promise<void>) | undefined, name: string, form?: FoldForm): Promise<void> {
  const col = store.db.collection<PackedDoc>(name);
  const due: string[] = [];
  for await (const doc of col.find({} as Filter<PackedDoc>, { projection: { p: 1 } })) if (foldDue(doc, form)) due.push(doc._id);
  const guarded = store.caps.concurrentWriters;
  for (let i = 0; i < due.length; i += store.caps.bulkMax) {
    await stillHeld?.();
    const docs = await readByIds(col, store.caps, due.slice(i, i + store.caps.bulkMax));
    const ops: AnyBulkWriteOperation<PackedDoc>[] = [];
    for (const doc of docs.values()) if (foldDue(doc, form)) ops.push({ updateOne: foldUpdate<PackedDoc>(doc, guarded, form) });
    if (ops.length > 0) await col.bulkWrite(ops, { ordered: false });
  }
}
