import { MongoServerError, type Collection, type Document } from "mongodb";
import type { Store } from "../store.js";

/**
 * One step of the derived data's version (`schema_meta.rollups.v`, see index.ts), in its own
 * file named after its version. A step updates what it can in place; what only the raw events
 * can tell, it leaves to a rebuild of the accounts it names.
 */
export interface Migration {
  /** The version this step brings the derived data to (the previous step's plus one). */
  version: number;
  /** What changed, for the log. */
  what: string;
  /**
   * Brings the database from `version - 1` to `version`. Idempotent: a crash runs it again
   * whole. Returns the accounts whose derived data must be rebuilt from their raw events
   * (`"all"`: every account), or none when the step could update everything in place.
   *
   * `stillHeld` throws once the migration lock is no longer this process's (another instance
   * may be migrating too): a step calls it before each account's writes, so a migrator that
   * stalled past the lock's life stops instead of writing beside the new holder. (Omitted when
   * a step is run alone, in tests.)
   */
  run(store: Store, stillHeld?: () => Promise<void>): Promise<string[] | "all">;
}

/** MongoDB's and FerretDB's code for a collection that does not exist. */
const NAMESPACE_NOT_FOUND = 26;

/** Drops a collection a step has emptied; one the database never had is fine. */
export async function dropIfExists<T extends Document>(col: Collection<T>): Promise<void> {
  await col.drop().catch((err: unknown) => {
    if (!(err instanceof MongoServerError && err.code === NAMESPACE_NOT_FOUND)) throw err;
  });
}
