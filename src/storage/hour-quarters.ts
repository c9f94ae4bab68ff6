import type { Collection, Db } from "mongodb";
import { readByIds } from "./by-id.js";
import type { Capabilities } from "./capabilities.js";
import { prepareCollection } from "./indexes.js";
import { storedCounts } from "./money.js";
import type { InsertFirstWriter, InsertOrUpdate } from "./insert-first.js";
import { HOUR_MS, addCount, floorHour, zeroCounts, type Counts } from "./types.js";

export const QUARTER_MS = 15 * 60_000;

/** One UTC hour's increments by second of the hour (as the ingest computes them). */
export interface HourSeconds {
  hour: Date;
  seconds: { second: number; key: string; n: number }[];
}

/**
 * `account_hour_quarters`: an account's counts in each quarter of a UTC hour, by
 * `<counter><quarter 0–3>` (`open2`: opens in minutes 30–44), `_id` `account|YYYY-MM-DDTHH`.
 * Every zone's local hours and days start on a UTC quarter hour today (Asia/Kolkata at :30,
 * Asia/Kathmandu at :45/:15), so a time series cuts its boundary hours here: a document of at
 * most 4 values per counter, whatever the hour's traffic, where the per-second document of the
 * hour grows with every event in it. Ranges cut at other seconds still read those.
 */
interface HourQuartersDoc {
  _id: string;
  a: string;
  q: Partial<Record<string, number>>;
}

export class HourQuarters {
  private readonly col: Collection<HourQuartersDoc>;
  constructor(
    db: Db,
    private readonly caps: Capabilities,
  ) {
    this.col = db.collection<HourQuartersDoc>("account_hour_quarters");
  }

  async ensureIndexes(): Promise<void> {
    // Read by `_id`; the account index serves clearing an account before a rebuild.
    await prepareCollection(this.col, this.caps, [{ name: "account", key: { a: 1 } }]);
  }

  /** Adds each hour's per-second increments to its quarters. */
  async add(writer: InsertFirstWriter, account: string, hours: HourSeconds[]): Promise<void> {
    const byId = new Map<string, Record<string, number>>();
    for (const h of hours) {
      const _id = hourId(account, h.hour.getTime());
      const q = byId.get(_id) ?? {};
      for (const s of h.seconds) {
        const k = `${s.key}${Math.floor(s.second / 900)}`;
        q[k] = (q[k] ?? 0) + s.n;
      }
      byId.set(_id, q);
    }
    const items: InsertOrUpdate<HourQuartersDoc>[] = [];
    for (const [_id, q] of byId) {
      // Keys are a counter's name and the quarter of the hour (`open2`); counters go as 64-bit integers.
      const inc = storedCounts(q, (k) => `q.${k}`);
      const stored = storedCounts(q, undefined) as Record<string, number>;
      if (Object.keys(inc).length) items.push({ doc: { _id, a: account, q: stored }, update: { $inc: inc } });
    }
    await writer.write(this.col, items);
  }

  /**
   * Sums the account's counts over each of `ranges`, whole quarters `[from, to)` inside one UTC
   * hour each, every hour's document read once (by `_id`) however many ranges share it.
   */
  async sum(account: string, ranges: readonly (readonly [number, number])[]): Promise<Counts[]> {
    const docs = await readByIds(this.col, this.caps, ranges.map(([from]) => hourId(account, floorHour(from))));
    return ranges.map(([from, to]) => {
      const hour = floorHour(from);
      const first = (from - hour) / QUARTER_MS;
      const end = (to - hour) / QUARTER_MS;
      if (!Number.isInteger(first) || !Number.isInteger(end) || end > 4) throw new Error("HourQuarters.sum: not whole quarters of one hour");
      const out = zeroCounts();
      for (const [k, v] of Object.entries(docs.get(hourId(account, hour))?.q ?? {})) {
        const quarter = Number(k.slice(-1));
        if (v && quarter >= first && quarter < end) addCount(out, k.slice(0, -1), v);
      }
      return out;
    });
  }

  async clearAccount(account: string): Promise<void> {
    await this.col.deleteMany({ a: account });
  }
}

/** Whether `[from, to)` inside one UTC hour is whole quarters of it. */
export function onQuarters(from: number, to: number): boolean {
  return (from - floorHour(from)) % QUARTER_MS === 0 && (to - floorHour(from)) % QUARTER_MS === 0 && to - floorHour(from) <= HOUR_MS;
}

function hourId(account: string, hour: number): string {
  return `${account}|${new Date(hour).toISOString().slice(0, 13)}`;
}
