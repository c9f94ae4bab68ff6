import type { Collection, Document, IndexSpecification } from "mongodb";
import type { Flavor } from "./flavor.js";

/** A secondary index a collection's queries need on MongoDB. */
export interface IndexSpec {
  name: string;
  key: IndexSpecification;
  unique?: boolean;
}

/**
 * Creates a collection's indexes (idempotent). On FerretDB v1 only the unique ones: its SQLite
 * backend answers every filter by scanning the collection (it pushes down only an exact `_id`,
 * and even that is not matched to the `_id` index), so a non-unique index there would be
 * maintained by every insert and used by no query. Unique indexes still enforce uniqueness.
 */
export async function createIndexes<T extends Document>(col: Collection<T>, flavor: Flavor, specs: IndexSpec[]): Promise<void> {
  for (const s of specs) {
    if (flavor === "ferretdb" && !s.unique) continue;
    await col.createIndex(s.key, { name: s.name, ...(s.unique ? { unique: true } : {}) });
  }
}
