// A batch answered 200 is counted, also when it was all duplicates of events a dead process had
// stored but not counted: a producer that re-sends a batch after a crash, gets 200 and then sends
// a purchase must see that purchase attributed to the click the batch carried (attribution is
// decided once, when the purchase arrives), and read the click in the metrics.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import { afterAll, expect, test } from "vitest";
import { readRuntime } from "../../src/db/runtime.js";
import { startServiceProcess, type ServiceProcess } from "../helpers/process.js";
import { call, postEvents } from "./reference.js";
import type { Ev } from "../read/lib.js";

const dir = mkdtempSync(join(tmpdir(), "misar-ack-"));
let current: ServiceProcess | undefined;
afterAll(async () => {
  await current?.kill9();
  rmSync(dir, { recursive: true, force: true });
});

test("a re-sent batch whose events a killed process stored uncounted is answered 200 only once they are counted", async () => {
  // A long lease: the dead process's journal entry is still live when the batch is re-sent, so
  // its repair cannot have run yet.
  const env = { DATA_DIR: join(dir, "ferretdb"), MONGODB_URI: "", LEASE_TTL_MS: "10000" };
  current = await startServiceProcess({ ...env, MISAR_TEST_DIE_AT: "after-raw:1" });
  const key = await current.printedKey();
  const clickMs = Date.parse("2026-03-02T10:00:00Z");
  const batch: Ev[] = [
    { id: "s1", type: "send", contact_email: "buyer@example.com", campaign_id: "spring", ms: clickMs - 60_000 },
    { id: "c1", type: "click", contact_email: "buyer@example.com", campaign_id: "spring", ms: clickMs, url: "https://example.com/a" },
  ];
  await expect(postEvents(current.url, key, batch)).rejects.toThrow();
  expect(await current.exited).toBeNull(); // killed after storing the raw events, before counting them

  current = await startServiceProcess(env);
  const resent = await postEvents(current.url, key, batch);
  expect(resent.status).toBe(200);
  expect(resent.body).toMatchObject({ accepted: 0, duplicates: 2 });

  // Acknowledged: the click counts, and the purchase an hour later is credited to its campaign.
  const bought = await call(current.url, key, "POST", "/api/v1/track/purchase", {
    contact_email: "buyer@example.com",
    amount: 10,
    currency: "USD",
    order_id: "o1",
    timestamp: new Date(clickMs + 3_600_000).toISOString(),
  });
  expect(bought.status, JSON.stringify(bought.body)).toBe(200);
  expect(bought.body.attributed_campaign_id).toBe("spring");
  const metrics = await call(current.url, key, "GET", "/api/v1/analytics/campaigns/spring");
  expect(metrics.status, JSON.stringify(metrics.body)).toBe(200);
  expect(metrics.body.metrics).toMatchObject({ total_sent: 1, total_clicked: 1, conversions: 1 });
}, 120_000);

test("a re-sent batch waiting on a live but slow writer is answered 503 saying so, and the log says why", async () => {
  await current?.kill9();
  const env = { DATA_DIR: join(dir, "slow"), MONGODB_URI: "", LEASE_TTL_MS: "300" };
  current = await startServiceProcess(env);
  const key = await current.printedKey();
  const batch: Ev[] = [{ id: "w1", type: "send", contact_email: "a@example.com", campaign_id: "c", ms: Date.parse("2026-03-02T10:00:00Z") }];
  expect((await postEvents(current.url, key, batch)).status).toBe(200);
  // Another instance's batch of the account, its writer alive (renewing) but slow: not due.
  const client = await MongoClient.connect(readRuntime(env.DATA_DIR)!);
  const journal = client.db("misar_analytics").collection<{ _id: string; a: string; at: Date; owner: string; until: Date }>("ingest_batches");
  try {
    await journal.insertOne({ _id: "slow-writer", a: "acct_local", at: new Date(), owner: "elsewhere", until: new Date(Date.now() + 3_600_000) });
    const resent = await postEvents(current.url, key, batch);
    expect(resent.status).toBe(503);
    // Not "the database is unavailable": the database is fine, the account's counting is not done.
    expect(resent.body.error.message).toMatch(/not counted yet/);
    const line = await current.waitFor((r) => r.msg === "rpc" && r.code === 14);
    expect(String(line.error)).toMatch(/not counted yet/);
    // Once that writer is done, the same re-send is acknowledged.
    await journal.deleteOne({ _id: "slow-writer" });
    expect(await postEvents(current.url, key, batch)).toMatchObject({ status: 200, body: { accepted: 0, duplicates: 1 } });
  } finally {
    await client.close();
  }
}, 120_000);
