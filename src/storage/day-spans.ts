import type { Collection, Db } from "mongodb";
import { readByIds } from "./by-id.js";
import type { Capabilities } from "./capabilities.js";
import { prepareCollection } from "./indexes.js";
import { storedCounts } from "./money.js";
import type { InsertFirstWriter, InsertOrUpdate } from "./insert-first.js";
import { DAY_MS, addCounts, zeroCounts, type Counts } from "./types.js";

/**
 * The lengths, in UTC days, of the spans kept. A span of length L starts on an epoch day that
 * is a multiple of L, so any whole-day range is covered by at most 3 spans of each length at
 * either end and one of the longest: 90 days take at most ~19 reads, 366 at most ~22.
 */
export const SPAN_DAYS = [1, 4, 16, 64, 256] as const;

/**
 * `account_day_spans`: an account's totals over aligned spans of UTC days, by counter name
 * (`n.open`), so a range of whole days is read as the few spans that tile it, each by `_id`
 * (`account|<length>d|<first day>`) — the one filter FerretDB's SQLite backend answers without
 * decoding the whole collection. A read therefore costs the spans of the caller's range: not the
 * events counted, nor the other accounts in the database. Each write of a day's increments
 * also increments its 4 enclosing spans (a batch in time order shares them, so about 4 more
 * updates per batch).
 */
interface DaySpanDoc {
  /** `account|<length>d|YYYY-MM-DD` (the first day) */
  _id: string;
  a: string;
  /** Totals by counter name (a counter unknown when the document was written is absent: 0). */
  n: Partial<Record<string, number>>;
}

export class DaySpans {
  private readonly col: Collection<DaySpanDoc>;
  constructor(
    db: Db,
    private readonly caps: Capabilities,
  ) {
    this.col = db.collection<DaySpanDoc>("account_day_spans");
  }

  async ensureIndexes(): Promise<void> {
    // Read by `_id`; the account index serves clearing an account before a rebuild.
    await prepareCollection(this.col, this.caps, [{ name: "account", key: { a: 1 } }]);
  }

  /** Adds each UTC day's increments (by epoch ms of the day) to the day and its spans. */
  async add(writer: InsertFirstWriter, account: string, days: Map<number, Partial<Counts>>): Promise<void> {
    const spans = new Map<string, Counts>();
    for (const [day, counts] of days) {
      const index = day / DAY_MS;
      for (const len of SPAN_DAYS) {
        const id = spanId(account, len, Math.floor(index / len) * len);
        const c = spans.get(id) ?? zeroCounts();
        spans.set(id, addCounts(c, counts));
      }
    }
    const items: InsertOrUpdate<DaySpanDoc>[] = [];
    for (const [_id, c] of spans) {
      // Counters as 64-bit integers (storedValue); read back as numbers.
      const n = storedCounts(c) as Record<string, number>;
      const inc = storedCounts(c, (k) => `n.${k}`);
      items.push({ doc: { _id, a: account, n }, update: Object.keys(inc).length ? { $inc: inc } : {} });
    }
    await writer.write(this.col, items);
  }

  /**
   * Sums the account's counts over each of `ranges`, whole UTC days `[from, to)` in epoch ms:
   * each range tiled by the longest aligned spans that fit, every span read once (by `_id`)
   * however many ranges share it.
   */
  async sum(account: string, ranges: readonly (readonly [number, number])[]): Promise<Counts[]> {
    const tiles = ranges.map(([from, to]) => tile(from / DAY_MS, to / DAY_MS).map(([len, start]) => spanId(account, len, start)));
    const docs = await readByIds(this.col, this.caps, tiles.flat());
    return tiles.map((t) => {
      const out = zeroCounts();
      for (const id of t) addCounts(out, docs.get(id)?.n ?? {});
      return out;
    });
  }

  async clearAccount(account: string): Promise<void> {
    await this.col.deleteMany({ a: account });
  }
}

/** The aligned spans `[length, first epoch day]` that tile epoch days `[from, to)`, longest first fit. */
export function tile(from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  let at = from;
  while (at < to) {
    let len = 1;
    for (const l of SPAN_DAYS) if (at % l === 0 && at + l <= to) len = l;
    out.push([len, at]);
    at += len;
  }
  return out;
}

function spanId(account: string, len: number, epochDay: number): string {
  return `${account}|${len}d|${new Date(epochDay * DAY_MS).toISOString().slice(0, 10)}`;
}
