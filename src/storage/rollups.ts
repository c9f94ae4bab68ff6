import type { Collection, Db } from "mongodb";
import { InsertFirstWriter, type InsertOrUpdate } from "./insert-first.js";
import { HOUR_MS, addCount, addCounts, floorDay, floorHour, isCounterName, zeroCounts, type Counts } from "./types.js";
import { readByIds } from "./by-id.js";
import { DaySpans } from "./day-spans.js";
import { HourQuarters, type HourSeconds } from "./hour-quarters.js";
import { prepareCollection } from "./indexes.js";
import { SECONDS_FORM, packSeconds, scanSeconds, type SecondCount } from "./second-counts.js";
import { storedCounts } from "./money.js";
import type { Capabilities } from "./capabilities.js";
import { PackedCompactor, countOf, grid, pack, packedWrite, plus, unpack, unpackBySuffix, type Count, type Grid, type PackedDoc } from "./packed-counts.js";

/**
 * A counter as written: a 64-bit integer (see storedValue), which the driver reads back as a
 * number (promoteLongs), so the documents' types say number.
 */
// `any`: a Long is written where the documents' read type says number.
type AsStored = any;

/**
 * `account_day_hours`: a UTC day's hourly counts, read by `_id` for the whole hours at a range's
 * edges and for hourly and daily time series. Apart from the day totals (`account_day_spans`) so
 * that whole days read small documents; one document per day rather than one per hour keeps the
 * updates a batch makes and the documents a series reads few. Counters packed by
 * `hourKey(kind, hour of the day)`, e.g. `open07:3` for 3 opens in 07:00–07:59Z (see
 * packed-counts.ts: a busy day's 24 hours × 17 counters as numbers would cost FerretDB ~3 ms
 * to decode on every read).
 */
interface AccountDayHoursDoc extends PackedDoc {
  /** `account|YYYY-MM-DD` */
  _id: string;
  d: Date;
}

/**
 * `campaign_stats`: one document per campaign with its all-time counts, its first send and its
 * opens and clicks per hour, so campaign metrics are one `_id` lookup. The hourly timeline is
 * packed (`p`, see packed-counts.ts): `o<epoch hour>:n` opens and `c<epoch hour>:n` clicks, as
 * a campaign whose engagement spreads over hundreds of hours would otherwise hold as many
 * number fields, each decoded by FerretDB on every read.
 */
interface CampaignStatsDoc extends PackedDoc {
  c: string;
  n: Partial<Counts>;
  fs?: Date;
}

/**
 * `account_hour_seconds`: an account's counts in one UTC hour by second, for the partial hours
 * at the edges of a range whose `from` or `to` is not on a quarter hour. Strings, because
 * FerretDB decodes a string far faster than as many fields or array elements: each write that
 * touches the hour appends one chunk, its counters by second in the dense text of
 * second-counts.ts (`open=75:2.5,send=3.1.1`: each counter named once, its seconds as gaps), an
 * append because it needs no read. The writer folds the chunks like the other packed documents
 * (packed-counts.ts): an hour written by many small batches holds at most about COMPACT_EVERY
 * chunks per writing instance, not one per write (FerretDB decodes each array element), and at
 * most one item per counter and second of the hour however many events it counts. One read by
 * `_id` answers any part of the hour.
 */
interface AccountHourSecondsDoc extends PackedDoc {
  /** `account|YYYY-MM-DDTHH` */
  _id: string;
  /** Start of the hour */
  h: Date;
}

/** Increments to apply for one account hour. */
export interface HourDelta {
  hour: Date;
  counts: Partial<Counts>;
  /** The same increments by second of the hour (0–3599). */
  seconds: SecondCount[];
}

export type { SecondCount };

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

/**
 * A day's hours are folded every 4 of a writer's appends, not every COMPACT_EVERY: a time series
 * reads one per day (91 for 90 days by day), and each appended chunk costs FerretDB an array
 * element to decode and repeats keys the fold would merge (a busy day's document held ~4
 * chunks, 2.3 KB, against 2.0 KB folded). A batch touches few days, so this adds about one fold
 * (a read and an update) per batch.
 */
const DAY_HOURS_FOLD_EVERY = 4;

/** A day's hours fold to a grid of 24 values per counter (`open=3..12…`, see Grid). */
export const DAY_HOURS_GRID: Grid = grid(2, 24);

/** Rollup `_id`s remembered as existing per collection (about 100 bytes each). */
const EXISTING_MAX = 100_000;

export class RollupStore {
  /** Whole days and aligned spans of days (`account_day_spans`). */
  private readonly spans: DaySpans;
  /** Quarters of UTC hours (`account_hour_quarters`). */
  private readonly quarters: HourQuarters;
  private readonly dayHours: Collection<AccountDayHoursDoc>;
  private readonly hourSeconds: Collection<AccountHourSecondsDoc>;
  private readonly campaigns: Collection<CampaignStatsDoc>;
  /** Folds the packed documents' chunks as the appends pile up. */
  private readonly compactor: PackedCompactor;
  /** Remembers existing documents per collection (a day's totals and its hours share an `_id`). */
  private readonly writer: InsertFirstWriter;
  constructor(
    db: Db,
    private readonly caps: Capabilities,
  ) {
    this.writer = new InsertFirstWriter(EXISTING_MAX, caps);
    this.compactor = new PackedCompactor(caps.concurrentWriters);
    this.spans = new DaySpans(db, caps);
    this.quarters = new HourQuarters(db, caps);
    this.dayHours = db.collection<AccountDayHoursDoc>("account_day_hours");
    this.hourSeconds = db.collection<AccountHourSecondsDoc>("account_hour_seconds");
    this.campaigns = db.collection<CampaignStatsDoc>("campaign_stats");
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    await this.spans.ensureIndexes();
    await this.quarters.ensureIndexes();
    // Read by `_id`; these serve clearing an account before a rebuild.
    await prepareCollection(this.dayHours, caps, [{ name: "account", key: { a: 1 } }]);
    await prepareCollection(this.hourSeconds, caps, [{ name: "account", key: { a: 1 } }]);
    await prepareCollection(this.campaigns, caps, [{ name: "account", key: { a: 1 } }]);
  }

  /** Applies increments, insert-first (see InsertFirstWriter). */
  async apply(account: string, hours: HourDelta[], campaigns: CampaignDelta[]): Promise<void> {
    const byDay = new Map<number, HourDelta[]>();
    for (const d of hours) {
      const day = floorDay(d.hour.getTime());
      const list = byDay.get(day);
      if (list) list.push(d);
      else byDay.set(day, [d]);
    }
    const dayTotals = new Map<number, Counts>();
    const hourItems: InsertOrUpdate<AccountDayHoursDoc>[] = [];
    const secondItems: InsertOrUpdate<AccountHourSecondsDoc>[] = [];
    for (const d of hours) {
      const chunk = packSeconds(d.seconds);
      if (chunk === "") continue;
      secondItems.push(packedWrite<AccountHourSecondsDoc>(hourId(account, d.hour.getTime()), account, chunk, { h: d.hour }));
    }
    for (const [day, deltas] of byDay) {
      const totals = zeroCounts();
      const h = new Map<string, Count>();
      for (const d of deltas) {
        addCounts(totals, d.counts);
        const i = (d.hour.getTime() - day) / HOUR_MS;
        for (const [k, v] of Object.entries(d.counts)) if (v) h.set(hourKey(k, i), plus(h.get(hourKey(k, i)) ?? 0, v));
      }
      dayTotals.set(day, totals);
      const chunk = pack(h);
      if (chunk !== "") hourItems.push(packedWrite<AccountDayHoursDoc>(dayId(account, day), account, chunk, { d: new Date(day) }));
    }
    const campaignItems: InsertOrUpdate<CampaignStatsDoc>[] = campaigns.map((d) => {
      const inc = incOf(d.counts);
      const timeline = new Map<string, number>();
      for (const [h, v] of d.timeline) {
        if (v.o) timeline.set(`o${h}`, v.o);
        if (v.c) timeline.set(`c${h}`, v.c);
      }
      const chunk = pack(timeline);
      const doc: CampaignStatsDoc = { _id: `${account}|${d.campaignId}`, a: account, c: d.campaignId, n: storedCounts(d.counts) as AsStored, p: chunk === "" ? [] : [chunk], g: 0 };
      if (d.firstSend) doc.fs = d.firstSend;
      return {
        doc,
        update: {
          ...(Object.keys(inc).length ? { $inc: inc } : {}),
          ...(d.firstSend ? { $min: { fs: d.firstSend } } : {}),
          ...(chunk !== "" ? { $push: { p: chunk } } : {}),
        },
      };
    });
    await this.spans.add(this.writer, account, dayTotals);
    await this.writer.write(this.dayHours, hourItems);
    await this.compactor.appended(this.dayHours, hourItems.map((i) => i.doc._id), DAY_HOURS_FOLD_EVERY, DAY_HOURS_GRID);
    await this.writer.write(this.hourSeconds, secondItems);
    await this.compactor.appended(this.hourSeconds, secondItems.map((i) => i.doc._id), undefined, SECONDS_FORM);
    await this.quarters.add(this.writer, this.compactor, account, hours);
    await this.writer.write(this.campaigns, campaignItems);
    await this.compactor.appended(this.campaigns, campaignItems.filter((i) => i.doc.p.length > 0).map((i) => i.doc._id));
  }

  /** Sums the account's counts over whole UTC days `[from, to)`: O(log days) reads, not O(events). */
  async sumDays(account: string, from: Date, to: Date): Promise<Counts> {
    return (await this.sumDayRanges(account, [[from.getTime(), to.getTime()]]))[0]!;
  }

  /**
   * Sums the account's counts over each of `ranges`, whole UTC days `[from, to)` in epoch ms,
   * from the aligned spans of days that tile them, each read once by `_id` (see DaySpans).
   */
  async sumDayRanges(account: string, ranges: readonly Span[]): Promise<Counts[]> {
    return this.spans.sum(account, ranges);
  }

  /**
   * Sums the account's counts over whole hours `[from, to)` of one UTC day: one document read by
   * `_id` (the one filter FerretDB's SQLite backend pushes down), at most 23 hourly counters per
   * kind added up here.
   */
  async sumHoursOfDay(account: string, from: Date, to: Date): Promise<Counts> {
    return (await this.sumHourRanges(account, [[from.getTime(), to.getTime()]]))[0]!;
  }

  /**
   * Sums the account's counts over each of `ranges`, whole hours `[from, to)` of one UTC day
   * each, reading each day's hour document once (by `_id`) however many ranges share it.
   */
  async sumHourRanges(account: string, ranges: readonly Span[]): Promise<Counts[]> {
    const docs = await readByIds(this.dayHours, this.caps, ranges.map((r) => dayId(account, floorDay(r[0]))));
    // Each day's chunks summed once into its 24 hours, however many ranges read the day.
    const days = new Map<string, Partial<Counts>[]>();
    for (const [id, doc] of docs) days.set(id, unpackBySuffix(doc.p, DAY_HOURS_GRID.digits, DAY_HOURS_GRID.n));
    return ranges.map(([from, to]) => {
      const day = floorDay(from);
      const first = (from - day) / HOUR_MS;
      const last = (to - day) / HOUR_MS;
      if (last > 24) throw new Error("sumHoursOfDay: the range crosses a day");
      const hoursOfDay = days.get(dayId(account, day));
      const out = zeroCounts();
      if (hoursOfDay) for (let i = first; i < last; i++) addCounts(out, hoursOfDay[i]!);
      return out;
    });
  }

  /**
   * Sums the account's counts over `[from, to)` inside one UTC hour: one document read by `_id`,
   * its per-second counts added up here. O(events of that hour) at most, never O(all events).
   */
  async sumSecondsOfHour(account: string, from: Date, to: Date): Promise<Counts> {
    return (await this.sumSecondRanges(account, [[from.getTime(), to.getTime()]]))[0]!;
  }

  /**
   * Sums the account's counts over each of `ranges`, `[from, to)` inside one UTC hour each,
   * reading each hour's per-second document once (by `_id`) however many ranges share it.
   */
  async sumSecondRanges(account: string, ranges: readonly Span[]): Promise<Counts[]> {
    const docs = await readByIds(this.hourSeconds, this.caps, ranges.map((r) => hourId(account, floorHour(r[0]))));
    return ranges.map(([from, to]) => {
      const hour = floorHour(from);
      const first = (from - hour) / 1000;
      const end = (to - hour) / 1000;
      if (end > 3600) throw new Error("sumSecondsOfHour: the range crosses an hour");
      const out = zeroCounts();
      const add = (key: string, _second: number, n: string) => {
        // Money sums can pass 2^53 (see plus): long texts are read exactly.
        if (isCounterName(key)) addCount(out, key, countOf(n));
      };
      for (const chunk of docs.get(hourId(account, hour))?.p ?? []) scanSeconds(chunk, first, end, add);
      return out;
    });
  }

  /**
   * A campaign's all-time counts and first send without its timeline (a list entry, the links
   * read), or undefined when no event named it. The timeline's chunks are left in the database
   * and never parsed: a busy campaign's hundreds of hours would make every list page's 50
   * entries cost more than a quiet one's.
   */
  async campaignTotals(account: string, campaignId: string): Promise<Omit<CampaignStats, "timeline"> | undefined> {
    const doc = await this.campaigns.findOne({ _id: `${account}|${campaignId}` }, { projection: { p: 0 } });
    if (!doc) return undefined;
    const counts = zeroCounts();
    addCounts(counts, doc.n ?? {});
    return { counts, firstSend: doc.fs };
  }

  /** A campaign's all-time counts and timeline, or undefined when no event named it. */
  async campaign(account: string, campaignId: string): Promise<CampaignStats | undefined> {
    // A lookup, not a pipeline: the counts were summed when written, and FerretDB's `$project`
    // would copy the whole document once more.
    const doc = await this.campaigns.findOne({ _id: `${account}|${campaignId}` });
    if (!doc) return undefined;
    const counts = zeroCounts();
    addCounts(counts, doc.n ?? {});
    // `o<epoch hour>` opens and `c<epoch hour>` clicks (zeros are left out by unpack).
    const byHour = new Map<number, { hour: Date; opens: number; clicks: number }>();
    for (const [k, v] of unpack(doc.p)) {
      const h = Number(k.slice(1));
      const e = byHour.get(h) ?? { hour: new Date(h * HOUR_MS), opens: 0, clicks: 0 };
      if (k[0] === "o") e.opens += Number(v);
      else e.clicks += Number(v);
      byHour.set(h, e);
    }
    const timeline = [...byHour.values()].sort((x, y) => x.hour.getTime() - y.hour.getTime());
    return { counts, firstSend: doc.fs, timeline };
  }

  /**
   * Sums the account's counts over each of `ranges`, whole quarter hours `[from, to)` inside one
   * UTC hour each (see HourQuarters): a time series' buckets in zones whose hours do not start
   * on the UTC hour.
   */
  async sumQuarterRanges(account: string, ranges: readonly Span[]): Promise<Counts[]> {
    return this.quarters.sum(account, ranges);
  }

  /** Adds hours' per-second increments to their quarters (a migration from the per-second documents). */
  async addQuarters(account: string, hours: HourSeconds[]): Promise<void> {
    await this.quarters.add(this.writer, this.compactor, account, hours);
  }

  async clearQuarters(account: string): Promise<void> {
    this.writer.forget(`${account}|`);
    await this.quarters.clearAccount(account);
  }

  /** Replaces an account's whole-day totals (by epoch ms of the UTC day), e.g. from an older shape. */
  async replaceDays(account: string, days: Map<number, Partial<Counts>>): Promise<void> {
    this.writer.forget(`${account}|`);
    await this.spans.clearAccount(account);
    await this.spans.add(this.writer, account, days);
  }

  /** Forgets an account's rollups (before a rebuild). */
  async clearAccount(account: string): Promise<void> {
    this.writer.forget(`${account}|`);
    await this.spans.clearAccount(account);
    await this.dayHours.deleteMany({ a: account });
    await this.hourSeconds.deleteMany({ a: account });
    await this.quarters.clearAccount(account);
    await this.campaigns.deleteMany({ a: account });
  }
}

/** `[from, to)` in epoch ms. */
export type Span = readonly [from: number, to: number];

function hourKey(kind: string, hourOfDay: number): string {
  return `${kind}${String(hourOfDay).padStart(2, "0")}`;
}

function hourId(account: string, hour: number): string {
  return `${account}|${new Date(hour).toISOString().slice(0, 13)}`;
}

function dayId(account: string, day: number): string {
  return `${account}|${new Date(day).toISOString().slice(0, 10)}`;
}

function incOf(counts: Partial<Counts>): Record<string, AsStored> {
  return storedCounts(counts, (k) => `n.${k}`) as AsStored;
}
