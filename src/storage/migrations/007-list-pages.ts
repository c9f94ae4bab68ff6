import type { Store } from "../store.js";
import type { CampaignStatusName } from "../types.js";
import { dropIfExists, type Migration } from "./migration.js";

/** `campaign_lists` as version 6 wrote it: one document per account holding every campaign. */
interface OldListDoc {
  /** The account. */
  _id: string;
  e?: Record<string, { f?: Date; r?: { n: string; st: CampaignStatusName; s: Date | null; tr: number | null } }>;
}

/**
 * Splits each account's one list document (`campaign_lists`, which ListCampaigns decoded whole
 * and which grew with the account's campaigns) into entries and sorted views
 * (`campaign_list_entries`, `campaign_list_pages`), in place and one account at a time: no raw
 * events read, one old document in memory. The list's own writes are idempotent (an entry as it
 * already is changes nothing, a key already in a view is not added twice), so a crash before the
 * old document is deleted converts that account again to the same result.
 */
export const m007: Migration = {
  version: 7,
  what: "the campaign list in bounded pages (campaign_lists → campaign_list_entries, campaign_list_pages)",
  run: async (store: Store) => {
    const old = store.db.collection<OldListDoc>("campaign_lists");
    for (;;) {
      const doc = await old.findOne({});
      if (!doc) break;
      const entries = Object.entries(doc.e ?? {}).map(([key, e]) => ({ id: key.slice(1), ...e }));
      await store.campaignList.register(
        doc._id,
        entries.flatMap(({ id, r }) => (r ? [{ id, name: r.n, status: r.st, sentAt: r.s ?? undefined, totalRecipients: r.tr ?? undefined }] : [])),
      );
      await store.campaignList.seen(doc._id, entries.map(({ id, f }) => ({ id, firstSend: f })));
      await old.deleteOne({ _id: doc._id });
    }
    await dropIfExists(old);
    return [];
  },
};
