// Counting that trails the 200 (COUNT_DELAY_MS): batches answered and not counted yet when the
// process dies, killed (-9) from outside or at a step of the counting itself, are counted after
// the restart, each once, and every metric equals the reference model's; a re-sent batch is all
// duplicates.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import { afterAll, expect, test } from "vitest";
import { readRuntime } from "../../src/db/runtime.js";
import { startServiceProcess, type ServiceProcess } from "../helpers/process.js";
import { generate } from "../read/generator.js";
import { chunk, mulberry32, type Ev } from "../read/lib.js";
import { converge, postEvents } from "./reference.js";

const dir = mkdtempSync(join(tmpdir(), "misar-delay-"));
let current: ServiceProcess | undefined;
afterAll(async () => {
  await current?.kill9();
  rmSync(dir, { recursive: true, force: true });
});

/** The account's journal entries now: batches stored and not counted yet (read beside the service). */
async function uncounted(dataDir: string): Promise<number> {
  const client = await MongoClient.connect(readRuntime(dataDir)!);
  try {
    return await client.db("misar_analytics").collection("ingest_batches").countDocuments({ a: "acct_local" });
  } finally {
    await client.close();
  }
}

const cases = [
  { how: "killed (-9) before the counting began", dieAt: undefined },
  { how: "killed at its own counting's after-marks step", dieAt: "after-marks:1" },
  { how: "killed at its own counting's after-rollups step", dieAt: "after-rollups:1" },
] as const;

test.each(cases)("batches answered 200 and not counted yet, the process $how: counted after the restart, once each", async ({ dieAt }, ) => {
  await current?.kill9();
  const dataDir = join(dir, dieAt ?? "outside");
  // A second of delay: the batches below are all answered before any is counted.
  const env = { DATA_DIR: dataDir, MONGODB_URI: "", LEASE_TTL_MS: "1000", COUNT_DELAY_MS: "1000" };
  current = await startServiceProcess({ ...env, ...(dieAt ? { MISAR_TEST_DIE_AT: dieAt } : {}) });
  const key = await current.printedKey();
  const s = generate(mulberry32(dieAt ? dieAt.length : 5), "cd", 1);
  const events = s.events.filter((e) => e.id !== undefined);
  const batches: Ev[][] = chunk(events, Math.ceil(events.length / 4));
  for (const b of batches) expect((await postEvents(current.url, key, b)).status).toBe(200);
  // Answered, stored, and not counted: their journal entries are still open.
  expect(await uncounted(dataDir)).toBeGreaterThan(0);

  if (dieAt) {
    // A read counts the backlog first, and the counting kills the process half-way.
    await expect(fetch(`${current.url}/api/v1/analytics/overview?from=2026-01-01&to=2026-04-07`, { headers: { authorization: `Bearer ${key}` } })).rejects.toThrow();
    expect(await current.exited).toBeNull();
  } else {
    await current.kill9();
  }

  current = await startServiceProcess(env);
  // The repair counts them from the stored events: every metric exact, nothing counted twice.
  await converge(current.url, key, events, s.campaigns, 30_000);
  const resent = await postEvents(current.url, key, batches[0]!);
  expect(resent.status).toBe(200);
  expect(resent.body).toMatchObject({ accepted: 0, duplicates: batches[0]!.length });
  await converge(current.url, key, events, s.campaigns, 10_000);
}, 180_000);
