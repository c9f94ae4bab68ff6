import type { Collection, Db } from "mongodb";
import { readByIds } from "./by-id.js";
import type { Capabilities } from "./capabilities.js";
import { upsertRacing } from "./duplicate-key.js";
import { prepareCollection } from "./indexes.js";
import type { CampaignStatusName, RegisteredCampaign } from "./types.js";

/** `campaigns`: what UpsertCampaign registered, one document per (account, campaign). */
interface CampaignDoc {
  _id: string;
  a: string;
  id: string;
  name: string;
  status: CampaignStatusName;
  sentAt: Date | null;
  totalRecipients: number | null;
  updatedAt: Date;
}

export class CampaignStore {
  private readonly col: Collection<CampaignDoc>;
  constructor(db: Db) {
    this.col = db.collection<CampaignDoc>("campaigns");
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    // Every lookup is by the deterministic _id; no secondary index needed.
    await prepareCollection(this.col, caps);
  }

  /** Registers or replaces a campaign's values. Idempotent, also when calls for a new id race. */
  async upsert(account: string, c: RegisteredCampaign, now: Date): Promise<void> {
    await upsertRacing(() => this.col.replaceOne(
      { _id: key(account, c.id) },
      {
        a: account,
        id: c.id,
        name: c.name,
        status: c.status,
        sentAt: c.sentAt ?? null,
        totalRecipients: c.totalRecipients ?? null,
        updatedAt: now,
      },
      { upsert: true },
    ));
  }

  /** Every campaign the account registered (a scan on FerretDB: for its rebuild only). */
  async ofAccount(account: string): Promise<RegisteredCampaign[]> {
    return (await this.col.find({ a: account }).toArray()).map(view);
  }

  /** These campaigns of the account, those registered (exact `_id` reads, whatever the collection's size). */
  async some(account: string, ids: string[], caps: Capabilities): Promise<RegisteredCampaign[]> {
    return [...(await readByIds(this.col, caps, ids.map((id) => key(account, id)))).values()].map(view);
  }

  async get(account: string, id: string): Promise<RegisteredCampaign | undefined> {
    const d = await this.col.findOne({ _id: key(account, id) });
    return d ? view(d) : undefined;
  }
}

const view = (d: CampaignDoc): RegisteredCampaign => ({
  id: d.id,
  name: d.name,
  status: d.status,
  sentAt: d.sentAt ?? undefined,
  totalRecipients: d.totalRecipients ?? undefined,
});

const key = (account: string, id: string) => `${account}|${id}`;
