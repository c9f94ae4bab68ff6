import { DAY_HOURS_GRID } from "../rollups.js";
import { QUARTERS_GRID } from "../hour-quarters.js";
import type { Migration } from "./migration.js";
import { foldAll } from "./fold-all.js";

/**
 * A day's hours and an hour's quarters folded into grids (one entry per counter, its values by
 * hour or quarter: `open=3..12…`, see Grid in packed-counts.ts), as their writers now fold
 * them: a busy day's document is half the text to decode on every read. In place, document by
 * document; no counter changed (see foldAll).
 */
export const m010: Migration = {
  version: 10,
  what: "a day's hours and an hour's quarters folded into grids",
  run: async (store, stillHeld) => {
    await foldAll(store, stillHeld, "account_day_hours", DAY_HOURS_GRID);
    await foldAll(store, stillHeld, "account_hour_quarters", QUARTERS_GRID);
    return [];
  },
};
