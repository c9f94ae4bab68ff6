import { MongoServerError, type Collection, type Document, type IndexSpecification } from "mongodb";
import type { Flavor } from "./flavor.js";

/** A secondary index a collection's queries need on MongoDB. */
export interface IndexSpec {
  name: string;
  key: IndexSpecification;
  unique?: boolean;
}

/** MongoDB's and FerretDB's code for "collection already exists". */
const NAMESPACE_EXISTS = 48;

/**
 * Creates a collection, if missing, and its indexes (idempotent), at startup, so that no request
 * pays for the DDL. On FerretDB v1 only the unique indexes: its SQLite backend answers every
 * filter but an exact `_id` by scanning the collection, so a non-unique index there would be
 * maintained by every insert and used by no query. Unique indexes still enforce uniqueness.
 * (The exact-`_id` lookups get their index from `ferretdb index-ids`: src/db/embedded.ts.)
 */
export async function prepareCollection<T extends Document>(col: Collection<T>, flavor: Flavor, specs: IndexSpec[] = []): Promise<void> {
  const exists = await col.db.listCollections({ name: col.collectionName }, { nameOnly: true }).hasNext();
  if (!exists) {
    await col.db.createCollection(col.collectionName).catch((err: unknown) => {
      // Another instance created it in between.
      if (!(err instanceof MongoServerError && err.code === NAMESPACE_EXISTS)) throw err;
    });
  }
  for (const s of specs) {
    if (flavor === "ferretdb" && !s.unique) continue;
    await col.createIndex(s.key, { name: s.name, ...(s.unique ? { unique: true } : {}) });
  }
}
