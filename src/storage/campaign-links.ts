import type { Collection, Db } from "mongodb";
import type { Capabilities } from "./capabilities.js";
import { urlKey } from "./email-key.js";
import { prepareCollection } from "./indexes.js";
import { InsertFirstWriter, type InsertOrUpdate } from "./insert-first.js";

/** Clicks on one url of a campaign: events, and messages that clicked it for the first time. */
export interface LinkDelta {
  url: string;
  clicks: number;
  uniques: number;
}

export interface LinkStats {
  url: string;
  clicks: number;
  uniqueClicks: number;
}

interface LinkCounter {
  /** The url as the clicks carried it. */
  u: string;
  /** Click events. */
  c: number;
  /** Messages that clicked it at least once. */
  q: number;
}

/**
 * `campaign_links`: per campaign, its clicks by exact url, keyed by a hash of the url (a url may
 * hold `.` and `$`, which a field name must not). One document read by `_id` answers the links
 * read; a batch makes one write per campaign with clicks.
 */
interface CampaignLinksDoc {
  /** `account|campaign` */
  _id: string;
  a: string;
  l: Record<string, LinkCounter>;
}

/** Link-document `_id`s remembered as existing (about 100 bytes each). */
const KNOWN_MAX = 100_000;

export class CampaignLinkStore {
  private readonly col: Collection<CampaignLinksDoc>;
  private readonly writer: InsertFirstWriter;
  constructor(db: Db, caps: Capabilities) {
    this.col = db.collection<CampaignLinksDoc>("campaign_links");
    this.writer = new InsertFirstWriter(KNOWN_MAX, caps);
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    // Clearing an account before a rebuild.
    await prepareCollection(this.col, caps, [{ name: "account", key: { a: 1 } }]);
  }

  /** Adds clicks per campaign and url. */
  async add(account: string, byCampaign: Map<string, LinkDelta[]>): Promise<void> {
    const items: InsertOrUpdate<CampaignLinksDoc>[] = [];
    for (const [campaignId, deltas] of byCampaign) {
      const l: Record<string, LinkCounter> = {};
      const inc: Record<string, number> = {};
      const set: Record<string, string> = {};
      for (const d of deltas) {
        const k = urlKey(d.url);
        l[k] = { u: d.url, c: d.clicks, q: d.uniques };
        inc[`l.${k}.c`] = d.clicks;
        inc[`l.${k}.q`] = d.uniques;
        set[`l.${k}.u`] = d.url;
      }
      items.push({ doc: { _id: `${account}|${campaignId}`, a: account, l }, update: { $inc: inc, $set: set } });
    }
    await this.writer.write(this.col, items);
  }

  /** The campaign's links, every one, unordered. */
  async links(account: string, campaignId: string): Promise<LinkStats[]> {
    const doc = await this.col.findOne({ _id: `${account}|${campaignId}` });
    return Object.values(doc?.l ?? {}).map((e) => ({ url: e.u, clicks: e.c, uniqueClicks: e.q }));
  }

  /** Forgets an account's links (before a rebuild). */
  async clearAccount(account: string): Promise<void> {
    this.writer.forget(`${account}|`);
    await this.col.deleteMany({ a: account });
  }
}
