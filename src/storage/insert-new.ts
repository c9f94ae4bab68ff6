import { MongoBulkWriteError, type Collection, type Document, type OptionalUnlessRequiredId } from "mongodb";
import { DUPLICATE_KEY } from "./duplicate-key.js";

/**
 * Inserts documents in one unordered bulk write and returns the indexes of those whose `_id`
 * existed already (duplicate key); every other write error is rethrown. The building block of
 * deduplication by `_id` and of insert-first counters.
 */
export async function insertNew<T extends Document>(col: Collection<T>, docs: OptionalUnlessRequiredId<T>[]): Promise<Set<number>> {
  const existing = new Set<number>();
  if (docs.length === 0) return existing;
  try {
    await col.insertMany(docs, { ordered: false });
  } catch (err) {
    if (!(err instanceof MongoBulkWriteError)) throw err;
    const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    // A bulk write cut short by the network reports no write errors at all (the cause sits in
    // `errorResponse`): nothing is known to be stored, so it is a failure, not "all new".
    if (errors.length === 0 || errors.some((e) => e === undefined)) throw err;
    for (const e of errors) {
      if (e.code !== DUPLICATE_KEY) throw err;
      existing.add(e.index);
    }
  }
  return existing;
}
