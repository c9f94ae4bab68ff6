import type { Migration } from "./migration.js";

/**
 * Per-second hour rollups (`account_hour_seconds`) and per-contact click days
 * (`contact_click_days`): new collections that hold, per event, what older rollups never kept,
 * so only the raw events can fill them.
 */
export const m002: Migration = {
  version: 2,
  what: "per-second hour rollups and per-contact click days",
  run: async () => "all",
};
