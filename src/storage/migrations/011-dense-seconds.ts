import { SECONDS_FORM } from "../second-counts.js";
import type { Migration } from "./migration.js";
import { foldAll } from "./fold-all.js";

/**
 * An hour's seconds folded into the dense text its writer now writes (`open=75:2.5`: each
 * counter named once, its seconds as gaps; see second-counts.ts), from the former `key:second:n`
 * entries: a busy hour's document is a fifth of the text a range cut at seconds fetches. In
 * place, document by document; no counter changed (see foldAll).
 */
export const m011: Migration = {
  version: 11,
  what: "an hour's seconds folded into the dense text (each counter once, its seconds as gaps)",
  run: async (store, stillHeld) => {
    await foldAll(store, stillHeld, "account_hour_seconds", SECONDS_FORM);
    return [];
  },
};
