import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { loadConfig } from "../../src/config.js";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../src/db/embedded.js";
import { createLogger } from "../../src/log.js";

declare module "vitest" {
  export interface ProvidedContext {
    mongoUri: string;
    /** The embedded FerretDB's SQLite directory, for indexIdLookups ("" on any other database). */
    ferretdbDataDir: string;
    /** What the run's database is, for test names and skips: "mongodb (MONGODB_URI)", "ferretdb-sqlite", ... */
    databaseKind: string;
  }
}

let db: EmbeddedDatabase | undefined;
let dir: string | undefined;

/**
 * One database server for the run: MONGODB_URI when set, else the embedded database that
 * `npm start` would start (EMBEDDED_BACKEND: sqlite, postgres; unset: a `mongod` on PATH, else
 * SQLite), built on first use, with its files in a fresh temporary directory. Each test file
 * makes its own database.
 */
export async function setup(project: TestProject): Promise<void> {
  const config = loadConfig(process.env, process.cwd());
  let uri = config.mongodbUri;
  let sqliteDir = "";
  let kind = "mongodb (MONGODB_URI)";
  if (!uri) {
    // The PostgreSQL backend needs the server programs: installed when missing.
    if (config.embeddedBackend === "postgres") execFileSync(process.execPath, ["scripts/ensure-postgres.mjs"], { stdio: "inherit" });
    dir = mkdtempSync(join(tmpdir(), "misar-test-"));
    // As root, PostgreSQL runs as an unprivileged account, which must reach its files in here.
    chmodSync(dir, 0o755);
    const dataDir = join(dir, "ferretdb");
    db = await startEmbeddedDatabase(process.cwd(), dataDir, createLogger("warn"), { backend: config.embeddedBackend });
    uri = db.uri;
    kind = db.kind;
    // Only FerretDB's SQLite files take the _id lookup index (a mongod has its own data directory).
    if (db.kind === "ferretdb-sqlite") sqliteDir = dataDir;
  }
  process.stderr.write(`[tests] database: ${kind}\n`);
  project.provide("mongoUri", uri);
  project.provide("ferretdbDataDir", sqliteDir);
  project.provide("databaseKind", kind);
}

export async function teardown(): Promise<void> {
  await db?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
