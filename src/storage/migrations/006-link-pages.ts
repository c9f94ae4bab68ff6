import type { AnyBulkWriteOperation } from "mongodb";
import { LINK_PAGE, headId, pageId, type LinkCounter, type LinkPageDoc, type LinkUrlDoc } from "../campaign-links.js";
import type { Store } from "../store.js";
import { dropIfExists, type Migration } from "./migration.js";

/** `campaign_links` as version 5 wrote it: one document per campaign holding every url. */
interface OldLinksDoc {
  /** `account|campaign` */
  _id: string;
  a: string;
  l?: Record<string, LinkCounter>;
}

/**
 * Splits each campaign's one links document (`campaign_links`, unbounded: about 10^5 urls
 * reached the 16 MB limit) into bounded pages (`campaign_link_pages`, `campaign_link_urls`), in
 * place and one campaign at a time: no raw events read, one old document in memory. A campaign's
 * urls take slots in the order of their hash key, so a crash before its old document is deleted
 * writes the very same documents again (idempotent); a crash after finds the next campaign.
 * `findOne({})` with no filter is a LIMIT 1 on FerretDB too, never a scan of the collection.
 */
export const m006: Migration = {
  version: 6,
  what: "clicks per url in bounded pages (campaign_links → campaign_link_pages, campaign_link_urls)",
  run: async (store: Store, stillHeld) => {
    const old = store.db.collection<OldLinksDoc>("campaign_links");
    const { pages, urls } = store.links;
    for (;;) {
      const doc = await old.findOne({});
      if (!doc) break;
      await stillHeld?.();
      const account = doc.a;
      const campaignId = doc._id.slice(account.length + 1);
      const entries = Object.entries(doc.l ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const urlOps: AnyBulkWriteOperation<LinkUrlDoc>[] = entries.map(([key], i) => {
        const _id = `${account}|${campaignId}|${key}`;
        return { replaceOne: { filter: { _id }, replacement: { a: account, p: Math.floor(i / LINK_PAGE) }, upsert: true } };
      });
      const pageOps: AnyBulkWriteOperation<LinkPageDoc>[] = [];
      for (let p = 0; p * LINK_PAGE < entries.length; p++) {
        const l = Object.fromEntries(entries.slice(p * LINK_PAGE, (p + 1) * LINK_PAGE));
        pageOps.push({ replaceOne: { filter: { _id: pageId(account, campaignId, p) }, replacement: { a: account, l }, upsert: true } });
      }
      pageOps.push({ replaceOne: { filter: { _id: headId(account, campaignId) }, replacement: { a: account, n: entries.length }, upsert: true } });
      for (let i = 0; i < urlOps.length; i += store.caps.bulkMax) await urls.bulkWrite(urlOps.slice(i, i + store.caps.bulkMax), { ordered: false });
      for (let i = 0; i < pageOps.length; i += store.caps.bulkMax) await pages.bulkWrite(pageOps.slice(i, i + store.caps.bulkMax), { ordered: false });
      await old.deleteOne({ _id: doc._id });
    }
    await dropIfExists(old);
    return [];
  },
};
