import type { Store } from "../store.js";
import type { HourSeconds } from "../hour-quarters.js";
import type { Migration } from "./migration.js";

/** `account_hour_seconds` as it is written: chunks of `key:second:n` entries. */
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
      const seconds = (doc.p ?? []).flatMap((chunk) =>
        chunk.split(",").map((entry) => {
          const [key, second, n] = entry.split(":") as [string, string, string];
          return { key, second: Number(second), n: Number(n) };
        }),
      );
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
