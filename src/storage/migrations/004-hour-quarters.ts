import type { Store } from "../store.js";
import type { HourSeconds } from "../hour-quarters.js";
import type { Migration } from "./migration.js";
import { countOf } from "../packed-counts.js";
import { forEachSecond, type SecondCount } from "../second-counts.js";

/** `account_hour_seconds`: chunks of counts by second (see second-counts.ts). */
interface SecondsDoc {
  _id: string;
  a: string;
  h: Date;
  p: string[];
}

/**
 * Quarter-hour counts (`account_hour_quarters`) for the time series' boundary hours, filled in
 * place from the per-second documents, which hold the same counts at a finer grain (no raw
 * events read). Idempotent: an account's quarters are cleared before they are written.
 */
export const m004: Migration = {
  version: 4,
  what: "quarter-hour counts from the per-second hour rollups (account_hour_quarters)",
  run: async (store: Store, stillHeld) => {
    const byAccount = new Map<string, HourSeconds[]>();
    for await (const doc of store.db.collection<SecondsDoc>("account_hour_seconds").find({})) {
      const seconds: SecondCount[] = [];
      forEachSecond(doc.p ?? [], (key, second, n) => seconds.push({ key, second, n: countOf(n) }));
      const list = byAccount.get(doc.a) ?? [];
      list.push({ hour: doc.h, seconds });
      byAccount.set(doc.a, list);
    }
    for (const [account, hours] of byAccount) {
      await stillHeld?.();
      await store.rollups.clearQuarters(account);
      await store.rollups.addQuarters(account, hours);
    }
    return [];
  },
};
