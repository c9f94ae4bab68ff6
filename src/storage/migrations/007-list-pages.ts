import type { Store } from "../store.js";
import type { CampaignStatusName } from "../types.js";
import { dropIfExists, type Migration } from "./migration.js";

/** `campaign_lists` as version 6 wrote it: one document per account holding every campaign. */
interface OldListDoc {
  /** The account. */
  _id: string;
  e?: Record<string, { f?: Date; r?: { n: string; st: CampaignStatusName; s: Date | null; tr: number | null } }>;
  /** Set by this step before it writes the account's new list: a run that finds it set was cut short there. */
  converting?: boolean;
}

/**
 * Splits each account's one list document (`campaign_lists`, which ListCampaigns decoded whole
 * and which grew with the account's campaigns) into entries and sorted views
 * (`campaign_list_entries`, `campaign_list_pages`), in place and one account at a time: no raw
 * events read, one old document in memory. An account's old document is marked before its new
 * list is written and deleted after: a run that finds the mark clears what the cut-short run
 * wrote and converts again (a crash inside a view's split can leave a chunk that its directory
 * does not name, which writing the same entries again would not repair). The registered values
 * are taken from `campaigns`, their source (version 6's UpsertCampaign could leave its list
 * disagreeing with it); first sends and campaigns seen only in events from the old list.
 */
export const m007: Migration = {
  version: 7,
  what: "the campaign list in bounded pages (campaign_lists → campaign_list_entries, campaign_list_pages)",
  run: async (store: Store, stillHeld) => {
    const old = store.db.collection<OldListDoc>("campaign_lists");
    const list = store.campaignList;
    for (;;) {
      const doc = await old.findOne({});
      if (!doc) break;
      await stillHeld?.();
      const account = doc._id;
      if (doc.converting) await list.clearAccount(account);
      else await old.updateOne({ _id: account }, { $set: { converting: true } });
      const entries = Object.entries(doc.e ?? {}).map(([key, e]) => ({ id: key.slice(1), ...e }));
      await list.register(account, await store.campaigns.some(account, entries.filter((e) => e.r).map((e) => e.id), store.caps));
      // Seen in events: with a first send, or without registered values (an entry of neither kind).
      await list.seen(account, entries.filter((e) => e.f || !e.r).map(({ id, f }) => ({ id, firstSend: f })));
      await old.deleteOne({ _id: account });
    }
    await dropIfExists(old);
    return [];
  },
};
