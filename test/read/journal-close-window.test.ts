// A batch's journal entries are closed while its writer still holds the account's lease. Were
// they closed after (as once), a repair taking the lease in between would clear the batch's
// counts and leave its events out as still in flight: lost for good, with nothing due.
import { expect, test } from "vitest";
import type { EmailEventInput } from "../../src/storage/types.js";
import { twoStoresPerFile } from "./two-stores.js";

const twoStores = twoStoresPerFile(2000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sends = (n: number, tag: string): EmailEventInput[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${tag}${i}`, kind: "send", email: `${tag}${i}@ex.io`, timestamp: new Date("2026-03-01T10:00:00Z"), campaignId: "c1" }) as EmailEventInput);

test("a repair by another store between one account's count and the rest of its group: every event counted once", async () => {
  const [a, b] = await twoStores();
  const now = new Date("2026-04-01T00:00:00Z");
  await a.ingest.record("acct_x", sends(3, "old"), now);
  expect((await a.rollups.campaign("acct_x", "c1"))?.counts.send).toBe(3);
  // b holds acct_y's lease, so a's group (acct_x then acct_y) stops after counting acct_x.
  const heldY = (await b.ingest.leases.tryAcquire("acct_y"))!;
  expect(heldY).toBeDefined();
  await b.ingest.queueRebuild(["acct_x"], "test");
  const first = a.ingest.record("acct_z", sends(1, "z"), now);
  const x = a.ingest.record("acct_x", sends(5, "new"), now);
  const y = a.ingest.record("acct_y", sends(2, "y"), now);
  await first;
  // b rebuilds acct_x as soon as a has counted it and given its lease back.
  let repaired: string[] = [];
  for (let i = 0; i < 60 && !repaired.includes("acct_x"); i++) {
    await sleep(100);
    repaired = await b.ingest.repairDue().catch(() => []);
  }
  expect(repaired).toContain("acct_x");
  await b.ingest.leases.release(heldY);
  await Promise.all([x, y]);
  expect((await a.rollups.campaign("acct_x", "c1"))?.counts.send).toBe(8);
  expect((await a.rollups.campaign("acct_y", "c1"))?.counts.send).toBe(2);
  expect(await a.ingest.dueAccounts()).toEqual([]);
}, 60_000);
