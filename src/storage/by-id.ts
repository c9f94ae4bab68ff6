import type { Collection, Filter } from "mongodb";
import type { Capabilities } from "./capabilities.js";

/**
 * Reads the documents with these `_id`s (each id once), by the database's cheapest route: one
 * `$match` on `_id` against the `_id` index where the database has it for sets
 * (`caps.idSetLookups`: MongoDB), else one exact-`_id` lookup each, all in flight at once
 * (FerretDB v1 answers an exact `_id` from an index and decodes the whole collection for
 * anything else). Either way the cost is the documents asked for, never the collection's size.
 */
export async function readByIds<T extends { _id: string }>(col: Collection<T>, caps: Capabilities, ids: readonly string[]): Promise<Map<string, T>> {
  const unique = [...new Set(ids)];
  const out = new Map<string, T>();
  if (unique.length === 0) return out;
  if (caps.idSetLookups) {
    const docs = await col.aggregate<T>([{ $match: { _id: { $in: unique } } }]).toArray();
    for (const d of docs) out.set(d._id, d);
    return out;
  }
  const docs = await Promise.all(unique.map((_id) => col.findOne({ _id } as Filter<T>)));
  for (const d of docs) if (d) out.set(d._id, d as T);
  return out;
}
