// A process's memory of which page holds a url must not outlive a rebuild of the account by
// another instance: the rebuild hands slots out again in time order, so a url's page can move,
// and counting into the remembered page would list the url twice with its clicks split.
import { expect, test } from "vitest";
import type { EmailEventInput } from "../../src/storage/types.js";
import { twoStoresPerFile } from "./two-stores.js";

const twoStores = twoStoresPerFile(2000);
const click = (id: string, url: string, ts: string): EmailEventInput => ({ id, kind: "click", email: `${id}@ex.io`, timestamp: new Date(ts), campaignId: "c1", url }) as EmailEventInput;

test("a url whose page moved in another store's rebuild is counted on its new page: listed once, clicks whole", async () => {
  const [a, b] = await twoStores();
  const now = new Date("2026-04-01T00:00:00Z");
  // Arrival order: 500 late-clicked urls fill page 0, then 10 early-clicked ones go to page 1.
  await a.ingest.record("acct", Array.from({ length: 500 }, (_, i) => click(`u${i}`, `https://ex.io/u${i}`, "2026-03-02T10:00:00Z")), now);
  await a.ingest.record("acct", Array.from({ length: 10 }, (_, i) => click(`v${i}`, `https://ex.io/v${i}`, "2026-03-01T10:00:00Z")), now);
  // a's kept lease goes, so that b can take it (as after a quiet spell).
  await a.ingest.leases.releaseAll();
  // b's rebuild counts in time order: the early urls now hold slots 0..9, on page 0.
  await b.ingest.rebuild("acct");
  await b.ingest.leases.releaseAll();
  await a.ingest.record("acct", [click("w0", "https://ex.io/v0", "2026-03-03T10:00:00Z")], now);
  const links = await b.links.links("acct", "c1");
  expect(links.filter((l) => l.url === "https://ex.io/v0")).toEqual([{ url: "https://ex.io/v0", clicks: 2, uniqueClicks: 2 }]);
  expect(links).toHaveLength(510);
}, 120_000);
