import { type Collection, type Document, type IndexSpecification } from "mongodb";
import { createCollectionIfMissing, type Capabilities } from "./capabilities.js";

/** A secondary index a collection's queries need on MongoDB. */
export interface IndexSpec {
  name: string;
  key: IndexSpecification;
  unique?: boolean;
}


/**
 * Creates a collection, if missing, and its indexes (idempotent), at startup, so that no request
 * pays for the DDL. Where queries use no secondary index (`caps.secondaryIndexes` false: FerretDB
 * v1 evaluates filters without them), only the unique ones: a non-unique index there would be
 * maintained by every insert and used by no query. Unique indexes still enforce uniqueness.
 * (On the embedded SQLite backend the exact-`_id` lookups get their index from `ferretdb
 * index-ids`: src/db/embedded.ts.)
 */
export async function prepareCollection<T extends Document>(col: Collection<T>, caps: Capabilities, specs: IndexSpec[] = []): Promise<void> {
  const exists = await col.db.listCollections({ name: col.collectionName }, { nameOnly: true }).hasNext();
  if (!exists) {
    await createCollectionIfMissing(col.db, col.collectionName);
  }
  for (const s of specs) {
    if (!caps.secondaryIndexes && !s.unique) continue;
    await col.createIndex(s.key, { name: s.name, ...(s.unique ? { unique: true } : {}) });
  }
}
