import { MongoServerError, type Db, type Document } from "mongodb";

/**
 * What the connected database can do, detected once at connect time. Every place where the
 * storage code differs between databases reads one of these fields; nothing asks which product
 * answered.
 */
export interface Capabilities {
  /** What answered, for logs only: "MongoDB 7.0.2", "FerretDB v1.24.2 (SQLite backend)". */
  server: string;
  /**
   * Several writers can commit at once. When false (FerretDB's SQLite backend answers a second
   * writer with SQLITE_BUSY rather than waiting), ingest batches take turns inside the process
   * and are written as group commits (src/storage/email-ingest.ts); only one process may write.
   */
  concurrentWriters: boolean;
  /**
   * Queries use non-unique secondary indexes. When false, only unique indexes are created (they
   * still enforce uniqueness): FerretDB v1 evaluates filters without them, so they would be
   * maintained by every insert and read by no query (src/storage/indexes.ts).
   */
  secondaryIndexes: boolean;
  /**
   * Ingest batches one process writes at once, when writers are concurrent (others wait their
   * turn in the process; on a single writer it is 1).
   */
  concurrentBatches: number;
  /**
   * Two updates of one document at once both apply. False on FerretDB v1.24, on either backend:
   * it reads the document, applies the operators in its own process and writes the whole
   * document back, with no lock between, so of two racing `$inc`s one can be lost (measured:
   * six racing writes of the same counters kept 5 of 12 increments on SQLite, 8 of 12 on
   * PostgreSQL; test/read/rollup-writes.test.ts). Then batches of one account are never written
   * at once by this process (src/storage/email-ingest.ts); other processes are not stopped.
   */
  atomicUpdates: boolean;
  /** Most updates in one bulk write. */
  bulkMax: number;
  /**
   * How counter documents (rollups, click days) are written (src/storage/insert-first.ts):
   * "upsert", one unordered bulk of upserts per collection, where an update costs about what an
   * insert does; "insert-first", new documents inserted whole and known ones updated, where an
   * update costs far more (FerretDB: each decodes and rewrites its whole document in its own
   * transaction, and its upserts are a query and an insert).
   */
  counterWrites: "upsert" | "insert-first";
  /**
   * A filter `{_id: {$in: [...]}}` is answered from the `_id` index, so the rollup documents a
   * read needs come in one query (src/storage/by-id.ts). When false (FerretDB v1: it decodes the
   * whole collection for any filter but an exact `_id`), each is read by its own exact `_id`.
   */
  idSetLookups: boolean;
}

/** MongoDB itself: concurrent writers, index-backed filters; the driver splits large bulks. */
const MONGODB: Omit<Capabilities, "server"> = { concurrentWriters: true, secondaryIndexes: true, concurrentBatches: 64, atomicUpdates: true, bulkMax: 1000, idSetLookups: true, counterWrites: "upsert" };

/**
 * FerretDB v1.24 keeps every update of an update command holding a connection of its backend
 * pool until the whole command ends (its query's cursor is closed by a `defer` in the loop), and
 * each update takes one more connection to write: a command of k updates needs k + 1 at once,
 * and when the pool is out, every command waits for another forever. On SQLite (one writer, a
 * pool of 100) bulks of 40: even two at once (the test run's two files in parallel share one
 * FerretDB; bulks of 50 there, 2 × 51 connections, hung a test once) need 82. On PostgreSQL
 * the pool (200 connections, see src/db/postgres.ts; FerretDB's default is 50) is shared by
 * every command of every instance:
 * small bulks and few batches at once per process keep the need (4 × 9 per instance) far below it.
 */
const FERRETDB_SQLITE: Omit<Capabilities, "server"> = { concurrentWriters: false, secondaryIndexes: false, concurrentBatches: 1, atomicUpdates: false, bulkMax: 40, idSetLookups: false, counterWrites: "insert-first" };
const FERRETDB_POSTGRESQL: Omit<Capabilities, "server"> = { concurrentWriters: true, secondaryIndexes: false, concurrentBatches: 4, atomicUpdates: false, bulkMax: 8, idSetLookups: false, counterWrites: "insert-first" };

/** MongoDB's and FerretDB's code for "collection already exists". */
const NAMESPACE_EXISTS = 48;

/** A collection every database of the service has (the migrations' schema_meta): explain needs one that exists. */
const PROBE_COLLECTION = "schema_meta";

/**
 * Asks the server. MongoDB answers `buildInfo` as itself; FerretDB adds `ferretdbVersion`. Of
 * FerretDB v1's two backends, the PostgreSQL one evaluates a filter on a plain field inside
 * PostgreSQL (explain reports `filterPushdown: true` for `{a: ...}`) and takes concurrent writers;
 * the SQLite one pushes down only an exact `_id` and has a single writer.
 */
export async function detectCapabilities(db: Db): Promise<Capabilities> {
  const info = await db.admin().command({ buildInfo: 1 });
  const version = typeof info.version === "string" ? info.version : "?";
  if (!("ferretdbVersion" in info)) return { server: `MongoDB ${version}`, ...MONGODB };
  const ferretdb = `FerretDB ${String(info.ferretdbVersion)}`;
  const pushdown = await fieldFilterPushdown(db);
  if (pushdown) return { server: `${ferretdb} (PostgreSQL backend)`, ...FERRETDB_POSTGRESQL };
  return { server: `${ferretdb} (SQLite backend)`, ...FERRETDB_SQLITE };
}

/** Whether FerretDB evaluates `{a: <string>}` in its backend rather than in its own process. */
async function fieldFilterPushdown(db: Db): Promise<boolean> {
  await createCollectionIfMissing(db, PROBE_COLLECTION);
  const res: Document = await db.command({ explain: { find: PROBE_COLLECTION, filter: { a: "probe" } } });
  return res.filterPushdown === true;
}

/** Creates a collection; one that exists already (another instance created it in between) is fine. */
export async function createCollectionIfMissing(db: Db, name: string): Promise<void> {
  await db.createCollection(name).catch((err: unknown) => {
    if (!(err instanceof MongoServerError && err.code === NAMESPACE_EXISTS)) throw err;
  });
}
