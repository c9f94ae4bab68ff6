import type { Store } from "../store.js";
import type { Migration } from "./migration.js";

/** `account_days` as versions ≤ 2 wrote it: a UTC day's increments as `{k, v}` pairs. */
interface OldDayDoc {
  _id: string;
  a: string;
  d: Date;
  t: { k: string; v: number }[];
}

/**
 * Whole days are read from `account_day_spans` (a day and its aligned spans, by `_id`) instead
 * of a pipeline over `account_days`, which FerretDB answered by decoding every account's days.
 * Filled in place from the old day totals, one account at a time, without the raw events; then
 * `account_days`, no longer written, is dropped. Idempotent: an account's spans are cleared
 * before they are written, and once `account_days` is gone there is nothing left to do.
 */
export const m003: Migration = {
  version: 3,
  what: "day totals as aligned spans of days read by _id (account_day_spans)",
  run: async (store: Store, stillHeld) => {
    const old = store.db.collection<OldDayDoc>("account_days");
    const byAccount = new Map<string, Map<number, Record<string, number>>>();
    for await (const doc of old.find({})) {
      let days = byAccount.get(doc.a);
      if (!days) byAccount.set(doc.a, (days = new Map()));
      const totals = days.get(doc.d.getTime()) ?? {};
      for (const { k, v } of doc.t ?? []) totals[k] = (totals[k] ?? 0) + v;
      days.set(doc.d.getTime(), totals);
    }
    for (const [account, days] of byAccount) {
      await stillHeld?.();
      await store.rollups.replaceDays(account, days);
    }
    await old.drop().catch(() => undefined); // absent already: nothing to drop
    return [];
  },
};
