import type { Collection, Db } from "mongodb";
import { readByIds } from "./by-id.js";
import type { Capabilities } from "./capabilities.js";
import { prepareCollection } from "./indexes.js";
import type { InsertFirstWriter, InsertOrUpdate } from "./insert-first.js";
import { grid, pack, packedWrite, plus, unpackBySuffix, type Count, type Grid, type PackedCompactor, type PackedDoc } from "./packed-counts.js";
import { HOUR_MS, addCounts, floorHour, zeroCounts, type Counts } from "./types.js";

export const QUARTER_MS = 15 * 60_000;

/** An hour's quarters fold to a grid of 4 values per counter (`open=3..1.`, see Grid). */
export const QUARTERS_GRID: Grid = grid(1, 4);

/** One UTC hour's increments by second of the hour (as the ingest computes them). */
export interface HourSeconds {
  hour: Date;
  seconds: { second: number; key: string; n: Count }[];
}

/**
 * `account_hour_quarters`: an account's counts in each quarter of a UTC hour, packed by
 * `<counter><quarter 0–3>` (`open2:5`: 5 opens in minutes 30–44; see packed-counts.ts), `_id`
 * `account|YYYY-MM-DDTHH`.
 * Every zone's local hours and days start on a UTC quarter hour today (Asia/Kolkata at :30,
 * Asia/Kathmandu at :45/:15), so a time series cuts its boundary hours here: a document of at
 * most 4 values per counter, whatever the hour's traffic, where the per-second document of the
 * hour grows with every event in it. Ranges cut at other seconds still read those.
 */
type HourQuartersDoc = PackedDoc;

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
  async add(writer: InsertFirstWriter, compactor: PackedCompactor, account: string, hours: HourSeconds[]): Promise<void> {
    const byId = new Map<string, Map<string, Count>>();
    for (const h of hours) {
      const _id = hourId(account, h.hour.getTime());
      const q = byId.get(_id) ?? new Map<string, Count>();
      for (const s of h.seconds) {
        const k = `${s.key}${Math.floor(s.second / 900)}`;
        q.set(k, plus(q.get(k) ?? 0, s.n));
      }
      byId.set(_id, q);
    }
    const items: InsertOrUpdate<HourQuartersDoc>[] = [];
    for (const [_id, q] of byId) {
      // Keys are a counter's name and the quarter of the hour (`open2`).
      const chunk = pack(q);
      if (chunk !== "") items.push(packedWrite<HourQuartersDoc>(_id, account, chunk, {}));
    }
    await writer.write(this.col, items);
    await compactor.appended(this.col, items.map((i) => i.doc._id), undefined, QUARTERS_GRID);
  }

  /**
   * Sums the account's counts over each of `ranges`, whole quarters `[from, to)` inside one UTC
   * hour each, every hour's document read once (by `_id`) however many ranges share it.
   */
  async sum(account: string, ranges: readonly (readonly [number, number])[]): Promise<Counts[]> {
    const docs = await readByIds(this.col, this.caps, ranges.map(([from]) => hourId(account, floorHour(from))));
    // Each hour's chunks summed once into its 4 quarters, however many ranges read the hour.
    const hours = new Map<string, Partial<Counts>[]>();
    for (const [id, doc] of docs) hours.set(id, unpackBySuffix(doc.p, QUARTERS_GRID.digits, QUARTERS_GRID.n));
    return ranges.map(([from, to]) => {
      const hour = floorHour(from);
      const first = (from - hour) / QUARTER_MS;
      const end = (to - hour) / QUARTER_MS;
      if (!Number.isInteger(first) || !Number.isInteger(end) || end > 4) throw new Error("HourQuarters.sum: not whole quarters of one hour");
      const out = zeroCounts();
      const quarters = hours.get(hourId(account, hour));
      if (quarters) for (let i = first; i < end; i++) addCounts(out, quarters[i]!);
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
