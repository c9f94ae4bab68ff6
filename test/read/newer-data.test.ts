// A build older than the database's derived data (a newer build migrated it) refuses to start,
// saying why: it would write shapes the newer version no longer reads.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, expect, inject, test } from "vitest";
import { ROLLUP_VERSION } from "../../src/storage/migrations/index.js";
import { Store } from "../../src/storage/store.js";

let store: Store | undefined;
let proc: ChildProcess | undefined;
afterAll(async () => {
  // A build that started after all is stopped.
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  await store?.db.dropDatabase().catch(() => undefined);
  await store?.close();
});

test("the service started on a database whose stored version is newer than its own exits 1 naming both versions", async () => {
  const database = `t_newer_${randomBytes(4).toString("hex")}`;
  store = await Store.open(inject("mongoUri"), database);
  await store.db.collection<{ _id: string; v: number }>("schema_meta").insertOne({ _id: "rollups", v: ROLLUP_VERSION + 1 });
  proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { ...process.env, PORT: "0", MONGODB_URI: inject("mongoUri"), MONGODB_DATABASE: database },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  // One that serves instead is stopped after 30 s (it would never exit).
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => resolve(-1), 30_000);
    proc!.once("exit", (c) => (clearTimeout(timer), resolve(c)));
  });
  expect(code, stderr).toBe(1);
  expect(stderr).toContain(`misar-analytics: the database's derived data is at version ${ROLLUP_VERSION + 1}, newer than this build's version ${ROLLUP_VERSION}`);
  expect(stderr).not.toContain('"msg":"listening"');
  // Nothing was written: the newer data stays as it was.
  expect(await store.db.collection("schema_meta").findOne({ _id: "rollups" as never })).toMatchObject({ v: ROLLUP_VERSION + 1 });
}, 60_000);
