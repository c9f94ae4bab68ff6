import type { Store } from "../storage/store.js";
import { DAY_MS, addCounts, ceilDay, ceilHour, floorDay, floorHour, zeroCounts, type Counts, type TimeRange } from "../storage/types.js";
import type { Range } from "./period.js";

/**
 * An account's exact counts over `[from, end)`, from the coarsest rollup that fits each part:
 * whole UTC days from the day totals, the whole hours at either side of them from the hours of
 * (at most two) edge days, and the partial hours at the very edges, if the range does not start
 * or end on the hour, from the raw events and first-open/click records of those hours alone.
 * Cost grows with the number of days, never with the total number of events, where the
 * database's indexes serve the partial hours (MongoDB; FerretDB v1 scans, see the README).
 */
export async function overviewCounts(store: Store, account: string, r: Range): Promise<Counts> {
  const from = r.from.getTime();
  const end = r.end.getTime();
  const hoursFrom = ceilHour(from);
  const hoursEnd = floorHour(end);
  const parts: Promise<Partial<Counts>>[] = [];
  const edges: TimeRange[] = [];
  if (hoursFrom >= hoursEnd) {
    edges.push(range(from, end));
  } else {
    if (from < hoursFrom) edges.push(range(from, hoursFrom));
    if (hoursEnd < end) edges.push(range(hoursEnd, end));
    const daysFrom = ceilDay(hoursFrom);
    const daysEnd = floorDay(hoursEnd);
    if (daysFrom < daysEnd) {
      parts.push(store.rollups.sumDays(account, new Date(daysFrom), new Date(daysEnd)));
      if (hoursFrom < daysFrom) parts.push(hours(store, account, hoursFrom, daysFrom));
      if (daysEnd < hoursEnd) parts.push(hours(store, account, daysEnd, hoursEnd));
    } else {
      parts.push(hours(store, account, hoursFrom, hoursEnd));
    }
  }
  if (edges.length > 0) parts.push(partialHours(store, account, edges));
  const total = zeroCounts();
  for (const p of await Promise.all(parts)) addCounts(total, p);
  return total;
}

/** Whole hours `[from, to)` spanning less than a day (so at most two day documents). */
async function hours(store: Store, account: string, from: number, to: number): Promise<Counts> {
  const cut = Math.min(floorDay(from) + DAY_MS, to);
  const [a, b] = await Promise.all([
    store.rollups.sumHoursOfDay(account, new Date(from), new Date(cut)),
    cut < to ? store.rollups.sumHoursOfDay(account, new Date(cut), new Date(to)) : zeroCounts(),
  ]);
  return addCounts(a, b);
}

const range = (from: number, to: number): TimeRange => ({ from: new Date(from), to: new Date(to) });

/** The partial hours at the edges (one or two), from the raw events and first-open/click records. */
async function partialHours(store: Store, account: string, edges: TimeRange[]): Promise<Partial<Counts>> {
  const [rows, firsts] = await Promise.all([store.emailEvents.countRanges(account, edges), store.marks.countRanges(account, edges)]);
  const c = zeroCounts();
  for (const row of rows) {
    c[row.kind] += row.n;
    if (row.kind === "bounce" && row.bounceType) c[row.bounceType] += row.n;
  }
  c.uopen = firsts.open;
  c.uclick = firsts.click;
  return c;
}
