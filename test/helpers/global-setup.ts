import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../src/db/embedded.js";
import { createLogger } from "../../src/log.js";

declare module "vitest" {
  export interface ProvidedContext {
    mongoUri: string;
    /** The embedded FerretDB's data directory ("" on MONGODB_URI), for indexIdLookups. */
    ferretdbDataDir: string;
  }
}

let db: EmbeddedDatabase | undefined;
let dir: string | undefined;

/**
 * One database server for the run: MONGODB_URI when set, else the embedded FerretDB (built on
 * first use) with its files in a fresh temporary directory. Each test file makes its own database.
 */
export async function setup(project: TestProject): Promise<void> {
  let uri = process.env.MONGODB_URI;
  let dataDir = "";
  if (!uri) {
    dir = mkdtempSync(join(tmpdir(), "misar-test-"));
    dataDir = join(dir, "ferretdb");
    db = await startEmbeddedDatabase(process.cwd(), dataDir, createLogger("warn"));
    uri = db.uri;
  }
  project.provide("mongoUri", uri);
  project.provide("ferretdbDataDir", dataDir);
}

export async function teardown(): Promise<void> {
  await db?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
