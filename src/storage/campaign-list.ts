import type { Collection, Db } from "mongodb";
import type { Capabilities } from "./capabilities.js";
import { prepareCollection } from "./indexes.js";
import { InsertFirstWriter, type InsertOrUpdate } from "./insert-first.js";
import type { CampaignStatusName, RegisteredCampaign } from "./types.js";

/** One campaign as the list knows it. */
export interface ListedCampaign {
  id: string;
  registered?: RegisteredCampaign;
  /** The first send event, if any. */
  firstSend?: Date;
}

interface Entry {
  /** Present once events or a registration named the campaign. */
  k: 1;
  /** First send event. */
  f?: Date;
  /** The registered values. */
  r?: { n: string; st: CampaignStatusName; s: Date | null; tr: number | null };
}

/**
 * `campaign_lists`: one document per account listing its campaigns (registered or seen through
 * events) with what the list orders and filters by, keyed `c<campaign id>` (ids are
 * `[A-Za-z0-9_-]`, safe in a field name). One read by `_id` gives the whole order of a page,
 * whatever else the database holds (FerretDB's SQLite backend pushes down an exact `_id` only);
 * its size grows with the account's campaigns, not its events.
 */
interface CampaignListDoc {
  /** The account. */
  _id: string;
  e: Record<string, Entry>;
}

/** Campaigns whose listing this process knows, with the earliest first send it has written. */
const KNOWN_MAX = 100_000;

export class CampaignListStore {
  private readonly col: Collection<CampaignListDoc>;
  private readonly writer: InsertFirstWriter;
  /** `account|campaign` → first send written (ms; Infinity for none): a later one changes nothing. */
  private readonly known = new Map<string, number>();
  constructor(db: Db, caps: Capabilities) {
    this.col = db.collection<CampaignListDoc>("campaign_lists");
    this.writer = new InsertFirstWriter(KNOWN_MAX, caps);
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    await prepareCollection(this.col, caps);
  }

  /** Notes campaigns seen in events, with their earliest send in the batch (if any): one write, only when something is new. */
  async seen(account: string, campaigns: { id: string; firstSend?: Date }[]): Promise<void> {
    const set: Record<string, 1> = {};
    const min: Record<string, Date> = {};
    const e: Record<string, Entry> = {};
    for (const c of campaigns) {
      const key = `${account}|${c.id}`;
      const known = this.known.get(key);
      const ms = c.firstSend?.getTime() ?? Infinity;
      if (known !== undefined && ms >= known) continue;
      set[`e.c${c.id}.k`] = 1;
      e[`c${c.id}`] = { k: 1 };
      if (c.firstSend) {
        min[`e.c${c.id}.f`] = c.firstSend;
        e[`c${c.id}`]!.f = c.firstSend;
      }
    }
    if (Object.keys(set).length === 0) return;
    await this.write({ doc: { _id: account, e }, update: { $set: set, ...(Object.keys(min).length ? { $min: min } : {}) } });
    for (const c of campaigns) {
      const key = `${account}|${c.id}`;
      this.remember(key, Math.min(this.known.get(key) ?? Infinity, c.firstSend?.getTime() ?? Infinity));
    }
  }

  /** Records a campaign's registered values (UpsertCampaign). */
  async register(account: string, c: RegisteredCampaign): Promise<void> {
    const r: Entry["r"] = { n: c.name, st: c.status, s: c.sentAt ?? null, tr: c.totalRecipients ?? null };
    await this.write({ doc: { _id: account, e: { [`c${c.id}`]: { k: 1, r } } }, update: { $set: { [`e.c${c.id}.k`]: 1, [`e.c${c.id}.r`]: r } } });
  }

  /** Every campaign of the account, unordered. */
  async all(account: string): Promise<ListedCampaign[]> {
    const doc = await this.col.findOne({ _id: account });
    return Object.entries(doc?.e ?? {}).map(([key, e]) => {
      const out: ListedCampaign = { id: key.slice(1) };
      if (e.f) out.firstSend = e.f;
      if (e.r) {
        out.registered = { id: out.id, name: e.r.n, status: e.r.st, sentAt: e.r.s ?? undefined, totalRecipients: e.r.tr ?? undefined };
      }
      return out;
    });
  }

  /**
   * Forgets what events told (before a rebuild replays them); registrations stay. Run it while no
   * batch for the account is in flight, like the rebuild.
   */
  async clearEvents(account: string): Promise<void> {
    for (const key of this.known.keys()) if (key.startsWith(`${account}|`)) this.known.delete(key);
    const doc = await this.col.findOne({ _id: account });
    if (!doc) return;
    const e: Record<string, Entry> = {};
    for (const [key, entry] of Object.entries(doc.e)) if (entry.r) e[key] = { k: 1, r: entry.r };
    await this.col.replaceOne({ _id: account }, { e });
  }

  private async write(item: InsertOrUpdate<CampaignListDoc>): Promise<void> {
    await this.writer.write(this.col, [item]);
  }

  private remember(key: string, ms: number): void {
    if (this.known.size >= KNOWN_MAX) this.known.clear();
    this.known.set(key, ms);
  }
}
