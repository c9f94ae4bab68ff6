// A purchase or a registration that gives up waiting for its account's lease (another writer
// held it throughout) has written nothing: it answers a retryable error and leaves nothing due,
// so it costs no rebuild of the account. The retry, once the lease is free, counts it once.
import { expect, test } from "vitest";
import { LeaseBusyError } from "../../src/storage/account-leases.js";
import { isUnavailableError } from "../../src/storage/availability.js";
import { twoStoresPerFile } from "./two-stores.js";

const twoStores = twoStoresPerFile(1000);

test("a write that never got the lease leaves nothing due; its retry counts once", async () => {
  const [a, b] = await twoStores();
  const now = new Date("2026-04-01T00:00:00Z");
  const purchase = { eventId: "p1", email: "x@ex.io", amount: 12.5, currency: "USD", orderId: "o1", items: [], timestamp: new Date("2026-03-01T10:00:00Z"), attributedCampaignId: "c1" };
  // Held by a writer that never lets go (written directly, so no renewal timer can fall behind
  // on a loaded machine and let it lapse): a's waits of 4 × the lease's ttl always run out.
  const leases = b.db.collection<{ _id: string; holder: string | null; until: Date; rebuilding: boolean; rebuilds: number }>("account_leases");
  await leases.insertOne({ _id: "acct_p", holder: "elsewhere#1", until: new Date(Date.now() + 3_600_000), rebuilding: false, rebuilds: 0 });
  const refused = await a.ingest.recordPurchase("acct_p", purchase, async () => purchase.attributedCampaignId, now).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(LeaseBusyError);
  expect(isUnavailableError(refused)).toBe(true);
  const refusedToo = await a.ingest.registerCampaign("acct_p", { id: "c1", name: "C1", status: "sent" }, now).catch((e: unknown) => e);
  expect(refusedToo).toBeInstanceOf(LeaseBusyError);
  // Nothing was written and nothing is owed.
  expect(await a.ingest.dueAccounts()).toEqual([]);
  expect(await a.rollups.campaign("acct_p", "c1")).toBeUndefined();
  await leases.updateOne({ _id: "acct_p" }, { $set: { holder: null, until: new Date(0) } });
  // The client's retries, with the lease free: stored and counted once.
  expect((await a.ingest.recordPurchase("acct_p", purchase, async () => purchase.attributedCampaignId, now)).duplicate).toBe(false);
  await a.ingest.registerCampaign("acct_p", { id: "c1", name: "C1", status: "sent" }, now);
  expect((await a.rollups.campaign("acct_p", "c1"))?.counts.conversion).toBe(1);
  expect((await a.rollups.sumDays("acct_p", new Date("2026-03-01T00:00:00Z"), new Date("2026-03-02T00:00:00Z"))).purchase).toBe(1);
  expect((await a.campaignList.page("acct_p", undefined, undefined, 10)).items.map((x) => x.id)).toEqual(["c1"]);
  expect(await a.ingest.dueAccounts()).toEqual([]);
}, 30_000);
