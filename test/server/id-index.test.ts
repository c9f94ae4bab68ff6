// indexIdLookups on the embedded FerretDB: every collection gets the SQLite index that FerretDB's
// exact-_id filter uses, SQLite's planner picks it for that very query, and lookups, updates and
// deletes by _id still answer exactly.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { ObjectId } from "mongodb";
import { indexIdLookups } from "../../src/db/embedded.js";
import { startService, type TestService } from "../helpers/service.js";

const dataDir = inject("ferretdbDataDir");

/** SQLite's plan for FerretDB's exact-_id query on a collection's table (python3's sqlite3 module). */
function planOf(database: string, collection: string): string {
  const script = `
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
(table,) = db.execute("SELECT table_name FROM _ferretdb_collections WHERE name = ?", (sys.argv[2],)).fetchone()
plan = db.execute('EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "%s" WHERE _ferretdb_sjson->\\'$._id\\' = ?' % table, ('"x"',)).fetchall()
print(" | ".join(row[-1] for row in plan))
`;
  const r = spawnSync("python3", ["-c", script, join(dataDir, `${database}.sqlite`), collection], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

describe.skipIf(!dataDir)("indexIdLookups on the embedded FerretDB (skipped on MONGODB_URI)", () => {
  let svc: TestService;
  let database: string;
  beforeAll(async () => {
    svc = await startService();
    database = svc.store.db.databaseName;
  });
  afterAll(() => svc.close());

  test("the service's collections are indexed when it starts; a second run creates nothing", async () => {
    expect(planOf(database, "email_events")).toMatch(/SEARCH .* USING INDEX .*_misar_id_lookup/);
    expect(planOf(database, "account_day_spans")).toMatch(/USING INDEX .*_misar_id_lookup/);
    expect(await indexIdLookups(process.cwd(), dataDir, database)).toBe(0);
  });

  test("a collection created later is indexed by the next run, and scanned before it", async () => {
    const col = svc.store.db.collection<{ _id: string | ObjectId; n: number }>("later");
    await svc.store.db.createCollection("later");
    expect(planOf(database, "later")).toMatch(/^SCAN/);
    expect(await indexIdLookups(process.cwd(), dataDir, database)).toBe(1);
    expect(planOf(database, "later")).toMatch(/USING INDEX .*_misar_id_lookup/);

    const oid = new ObjectId();
    await col.insertMany([{ _id: "a", n: 1 }, { _id: "b", n: 2 }, { _id: oid, n: 3 }]);
    expect(await col.findOne({ _id: "b" })).toEqual({ _id: "b", n: 2 });
    expect(await col.findOne({ _id: oid })).toEqual({ _id: oid, n: 3 });
    expect((await col.updateOne({ _id: "a" }, { $inc: { n: 10 } })).modifiedCount).toBe(1);
    expect(await col.findOne({ _id: "a" })).toEqual({ _id: "a", n: 11 });
    expect((await col.deleteOne({ _id: oid })).deletedCount).toBe(1);
    expect(await col.find({}).sort({ n: 1 }).toArray()).toEqual([{ _id: "b", n: 2 }, { _id: "a", n: 11 }]);
  });

  test("a database that does not exist is an error, not a new empty file", async () => {
    await expect(indexIdLookups(process.cwd(), dataDir, "t_no_such_db")).rejects.toThrow(/no such file/);
  });
});
