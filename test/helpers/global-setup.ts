import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../src/db/embedded.js";
import { createLogger } from "../../src/log.js";

declare module "vitest" {
  export interface ProvidedContext {
    mongoUri: string;
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
  if (!uri) {
    dir = mkdtempSync(join(tmpdir(), "misar-test-"));
    db = await startEmbeddedDatabase(process.cwd(), join(dir, "ferretdb"), createLogger("warn"));
    uri = db.uri;
  }
  project.provide("mongoUri", uri);
}

export async function teardown(): Promise<void> {
  await db?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
