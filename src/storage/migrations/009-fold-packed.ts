import { SECONDS_FORM } from "../second-counts.js";
import type { Migration } from "./migration.js";
import { foldAll } from "./fold-all.js";

/**
 * Every packed document's chunks folded into one, in place: what the writers now keep them
 * near (an hour's seconds, which were never folded before, and a day's hours, folded every 4
 * appends instead of 16), so a database written by an older build reads as cheaply as a new
 * one. An hour's seconds get their fold count `g` from their first fold, and are folded into
 * the text they are written in today (second-counts.ts; a `key:n` fold would misread it). No
 * raw events read, no account rebuilt, no counter changed (see foldAll).
 */
export const m009: Migration = {
  version: 9,
  what: "packed counters folded (an hour's seconds and a day's hours included)",
  run: async (store, stillHeld) => {
    for (const name of ["account_day_hours", "account_hour_quarters", "campaign_stats"]) await foldAll(store, stillHeld, name);
    await foldAll(store, stillHeld, "account_hour_seconds", SECONDS_FORM);
    return [];
  },
};
