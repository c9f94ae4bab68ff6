import type { Store } from "../storage/store.js";
import { DAY_MS, addCounts, ceilDay, ceilHour, floorDay, floorHour, zeroCounts, type Counts } from "../storage/types.js";
import type { Range } from "./period.js";

/**
 * An account's exact counts over `[from, end)`, from the coarsest rollup that fits each part:
 * whole UTC days from the day totals, the whole hours at either side of them from the hours of
 * (at most two) edge days, and the partial hours at the very edges, if the range does not start
 * or end on the hour, from the per-second counts of those hours. At most two days' hour
 * documents and two hours' second documents are read, each by `_id`, beside the day totals, so
 * the cost grows with the number of days in the range, never with the number of events.
 */
export async function overviewCounts(store: Store, account: string, r: Range): Promise<Counts> {
  const from = r.from.getTime();
  const end = r.end.getTime();
  const hoursFrom = ceilHour(from);
  const hoursEnd = floorHour(end);
  const parts: Promise<Partial<Counts>>[] = [];
  if (hoursFrom > hoursEnd) {
    // Inside one hour.
    parts.push(store.rollups.sumSecondsOfHour(account, r.from, r.end));
  } else {
    if (from < hoursFrom) parts.push(store.rollups.sumSecondsOfHour(account, r.from, new Date(hoursFrom)));
    if (hoursEnd < end) parts.push(store.rollups.sumSecondsOfHour(account, new Date(hoursEnd), r.end));
    const daysFrom = ceilDay(hoursFrom);
    const daysEnd = floorDay(hoursEnd);
    if (daysFrom < daysEnd) {
      parts.push(store.rollups.sumDays(account, new Date(daysFrom), new Date(daysEnd)));
      if (hoursFrom < daysFrom) parts.push(hours(store, account, hoursFrom, daysFrom));
      if (daysEnd < hoursEnd) parts.push(hours(store, account, daysEnd, hoursEnd));
    } else if (hoursFrom < hoursEnd) {
      parts.push(hours(store, account, hoursFrom, hoursEnd));
    }
  }
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
