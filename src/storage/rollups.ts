import { type AnyBulkWriteOperation, type Collection, type Db, type Filter, type OptionalUnlessRequiredId, type UpdateFilter } from "mongodb";
import { insertNew } from "./insert-new.js";
import { COUNT_KEYS, zeroCounts, type Counts } from "./types.js";

/**
 * `account_hours`: an account's counts per UTC hour; the overview reads only these. The counters
 * are an array in the fixed order of COUNT_KEYS (`c.<i>.v` is incremented in place) and are read
 * with `$unwind` and one `$sum` grouped by kind, because FerretDB v1.24 computes only the first
 * accumulator of a `$group` correctly.
 */
interface AccountHourDoc {
  _id: string;
  a: string;
  h: Date;
  c: { k: keyof Counts; v: number }[];
}

/**
 * `campaign_stats`: one document per campaign with its all-time counts, its first send and its
 * opens/clicks per hour (`tl.h<epoch hours>`), so campaign metrics are one `_id` lookup.
 */
interface CampaignStatsDoc {
  _id: string;
  a: string;
  c: string;
  n: Partial<Counts>;
  fs?: Date;
  tl?: Record<string, { o?: number; c?: number }>;
}

/** Increments to apply for one account hour. */
export interface HourDelta {
  hour: Date;
  counts: Partial<Counts>;
}

/** Increments to apply to one campaign. */
export interface CampaignDelta {
  campaignId: string;
  counts: Partial<Counts>;
  firstSend?: Date;
  /** epoch hour -> opens/clicks */
  timeline: Map<number, { o: number; c: number }>;
}

export interface CampaignStats {
  counts: Counts;
  firstSend?: Date;
  /** ascending by hour */
  timeline: { hour: Date; opens: number; clicks: number }[];
}

export class RollupStore {
  private readonly hours: Collection<AccountHourDoc>;
  private readonly campaigns: Collection<CampaignStatsDoc>;
  constructor(db: Db) {
    this.hours = db.collection<AccountHourDoc>("account_hours");
    this.campaigns = db.collection<CampaignStatsDoc>("campaign_stats");
  }

  async ensureIndexes(): Promise<void> {
    await this.hours.createIndex({ a: 1, h: 1 }, { name: "account_hour" });
    await this.campaigns.createIndex({ a: 1 }, { name: "account" });
  }

  /**
   * Applies increments. Each document is first inserted with the increments as its values (one
   * unordered insertMany); only those that exist already are then updated with `$inc` (one
   * unordered bulk write). On MongoDB that is two round trips; on FerretDB's SQLite backend,
   * where every update and upsert scans its collection but inserts do not, it keeps the scans to
   * the documents that really need an update.
   */
  async apply(account: string, hours: HourDelta[], campaigns: CampaignDelta[]): Promise<void> {
    const hourItems: Increment<AccountHourDoc>[] = hours.map((d) => {
      const c = COUNT_KEYS.map((k) => ({ k, v: d.counts[k] ?? 0 }));
      const inc: Record<string, number> = {};
      c.forEach((x, i) => x.v && (inc[`c.${i}.v`] = x.v));
      return {
        doc: { _id: `${account}|${d.hour.toISOString()}`, a: account, h: d.hour, c },
        update: Object.keys(inc).length ? { $inc: inc } : {},
      };
    });
    const campaignItems: Increment<CampaignStatsDoc>[] = campaigns.map((d) => {
      const inc = incOf(d.counts);
      const tl: NonNullable<CampaignStatsDoc["tl"]> = {};
      for (const [h, v] of d.timeline) {
        tl[`h${h}`] = v;
        if (v.o) inc[`tl.h${h}.o`] = v.o;
        if (v.c) inc[`tl.h${h}.c`] = v.c;
      }
      const doc: CampaignStatsDoc = { _id: `${account}|${d.campaignId}`, a: account, c: d.campaignId, n: d.counts, tl };
      if (d.firstSend) doc.fs = d.firstSend;
      return {
        doc,
        update: {
          ...(Object.keys(inc).length ? { $inc: inc } : {}),
          ...(d.firstSend ? { $min: { fs: d.firstSend } } : {}),
        },
      };
    });
    await incrementOrInsert(this.hours, hourItems);
    await incrementOrInsert(this.campaigns, campaignItems);
  }

  /** Sums the account's hourly counts over whole hours `[from, to)`. O(hours), not O(events). */
  async sumHours(account: string, from: Date, to: Date): Promise<Counts> {
    const rows = await this.hours
      .aggregate<{ _id: keyof Counts; v: number }>([
        { $match: { a: account, h: { $gte: from, $lt: to } } },
        { $unwind: "$c" },
        { $group: { _id: "$c.k", v: { $sum: "$c.v" } } },
      ])
      .toArray();
    const out = zeroCounts();
    for (const r of rows) if (COUNT_KEYS.includes(r._id)) out[r._id] = r.v;
    return out;
  }

  /** A campaign's all-time counts and timeline, or undefined when no event named it. */
  async campaign(account: string, campaignId: string): Promise<CampaignStats | undefined> {
    // Inclusion only: FerretDB's $project evaluates no field-path expressions.
    const [doc] = await this.campaigns
      .aggregate<Pick<CampaignStatsDoc, "n" | "fs" | "tl">>([
        { $match: { _id: `${account}|${campaignId}` } },
        { $project: { _id: 0, n: 1, fs: 1, tl: 1 } },
      ])
      .toArray();
    if (!doc) return undefined;
    const counts = zeroCounts();
    for (const k of COUNT_KEYS) counts[k] = doc.n?.[k] ?? 0;
    const timeline = Object.entries(doc.tl ?? {})
      .map(([k, v]) => ({ hour: new Date(Number(k.slice(1)) * 3_600_000), opens: v.o ?? 0, clicks: v.c ?? 0 }))
      .filter((e) => e.opens !== 0 || e.clicks !== 0)
      .sort((x, y) => x.hour.getTime() - y.hour.getTime());
    return { counts, firstSend: doc.fs, timeline };
  }

  /** Forgets an account's rollups (before a rebuild). */
  async clearAccount(account: string): Promise<void> {
    await this.hours.deleteMany({ a: account });
    await this.campaigns.deleteMany({ a: account });
  }
}

function incOf(counts: Partial<Counts>): Record<string, number> {
  const inc: Record<string, number> = {};
  for (const k of COUNT_KEYS) {
    const v = counts[k];
    if (v) inc[`n.${k}`] = v;
  }
  return inc;
}

interface Increment<T extends { _id: string }> {
  /** The document as it is when this is its first increment. */
  doc: T;
  /** The update when it exists already. */
  update: UpdateFilter<T>;
}

async function incrementOrInsert<T extends { _id: string }>(col: Collection<T>, items: Increment<T>[]): Promise<void> {
  if (items.length === 0) return;
  const existing = await insertNew(col, items.map((i) => i.doc) as OptionalUnlessRequiredId<T>[]);
  const ops = [...existing]
    .filter((i) => Object.keys(items[i]!.update).length > 0)
    .map((i) => ({ updateOne: { filter: { _id: items[i]!.doc._id } as Filter<T>, update: items[i]!.update } }));
  if (ops.length) await col.bulkWrite(ops as AnyBulkWriteOperation<T>[], { ordered: false });
}
