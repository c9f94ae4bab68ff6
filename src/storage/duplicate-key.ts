import { MongoServerError } from "mongodb";

/** MongoDB's (and FerretDB's) duplicate-key error code. */
export const DUPLICATE_KEY = 11000;

export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === DUPLICATE_KEY;
}

/**
 * Runs an upsert, once more if it lost a race to create the same new `_id`. Two upserts of an
 * absent document may both decide to insert; the loser fails with a duplicate key (MongoDB does
 * not retry it when the filter is more than `_id`, and FerretDB never does). The retry then finds
 * the winner's document and updates it. A second collision cannot happen: the document exists.
 */
export async function upsertRacing<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return write();
  }
}
