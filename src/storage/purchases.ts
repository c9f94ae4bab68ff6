import type { Collection, Db } from "mongodb";
import { isDuplicateKey } from "./duplicate-key.js";
import { prepareCollection } from "./indexes.js";
import type { Capabilities } from "./capabilities.js";

/** `purchases`: one document per purchase; `_id` carries the order id, so repeats collide. */
interface PurchaseDoc {
  _id: string;
  a: string;
  eventId: string;
  e: string;
  amount: number;
  currency: string;
  orderId: string | null;
  items: { name: string; quantity: number; price: number }[];
  ts: Date;
  campaign: string | null;
  receivedAt: Date;
}

export interface PurchaseInput {
  eventId: string;
  email: string;
  amount: number;
  currency: string;
  orderId?: string;
  items: { name: string; quantity: number; price: number }[];
  timestamp: Date;
  attributedCampaignId: string | null;
}

export interface PurchaseOutcome {
  eventId: string;
  attributedCampaignId: string | null;
  duplicate: boolean;
}

export class PurchaseStore {
  private readonly col: Collection<PurchaseDoc>;
  constructor(db: Db) {
    this.col = db.collection<PurchaseDoc>("purchases");
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    await prepareCollection(this.col, caps, [{ name: "account_contact_ts", key: { a: 1, e: 1, ts: -1 } }]);
  }

  /**
   * Hands an account's purchases to `count` in pages (a rebuild's scan, never on a request path;
   * pages by `_id` so that no cursor stays open while a page is counted).
   */
  async forEach(account: string, count: (page: StoredPurchase[]) => Promise<void>): Promise<void> {
    const PAGE = 5000;
    let after: string | undefined;
    for (;;) {
      const filter = after === undefined ? { a: account } : { a: account, _id: { $gt: after } };
      const page = await this.col.find(filter).sort({ _id: 1 }).limit(PAGE).toArray();
      if (page.length === 0) return;
      await count(page.map((d) => ({ ts: d.ts, currency: d.currency, amount: d.amount, campaign: d.campaign })));
      after = page[page.length - 1]!._id;
      if (page.length < PAGE) return;
    }
  }

  /** Looks up an earlier purchase with this order id. */
  async byOrder(account: string, orderId: string): Promise<PurchaseOutcome | undefined> {
    const d = await this.col.findOne({ _id: orderKey(account, orderId) });
    return d ? { eventId: d.eventId, attributedCampaignId: d.campaign, duplicate: true } : undefined;
  }

  /**
   * Stores a purchase. With an order id, the unique `_id` makes the first writer win even when
   * repeats race; the losers get the winner's answer back.
   */
  async insert(account: string, p: PurchaseInput, now: Date): Promise<PurchaseOutcome> {
    const _id = p.orderId !== undefined ? orderKey(account, p.orderId) : `${account}|e|${p.eventId}`;
    try {
      await this.col.insertOne({
        _id,
        a: account,
        eventId: p.eventId,
        e: p.email,
        amount: p.amount,
        currency: p.currency,
        orderId: p.orderId ?? null,
        items: p.items,
        ts: p.timestamp,
        campaign: p.attributedCampaignId,
        receivedAt: now,
      });
      return { eventId: p.eventId, attributedCampaignId: p.attributedCampaignId, duplicate: false };
    } catch (err) {
      if (isDuplicateKey(err) && p.orderId !== undefined) {
        const first = await this.byOrder(account, p.orderId);
        if (first) return first;
      }
      throw err;
    }
  }
}

/** A stored purchase as the rollups count it. */
export interface StoredPurchase {
  ts: Date;
  currency: string;
  amount: number;
  campaign: string | null;
}

const orderKey = (account: string, orderId: string) => `${account}|o|${orderId}`;
