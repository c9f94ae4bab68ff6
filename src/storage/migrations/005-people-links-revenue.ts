import type { Migration } from "./migration.js";

/**
 * Human (not `machine`) opens and clicks with their firsts, campaigns' all-time uniques, clicks
 * per url (`campaign_links`), the campaign list (`campaign_lists`) and purchase and revenue
 * counters. Each message's first human open and first click per url are marks that only the raw
 * events can tell, and the purchase counters are recounted from `purchases` by the same rebuild,
 * so this step rebuilds every account.
 */
export const m005: Migration = {
  version: 5,
  what: "human opens and clicks, clicks per url, the campaign list, purchases and revenue",
  run: async () => "all",
};
