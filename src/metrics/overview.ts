import type { Store } from "../storage/store.js";
import { addCounts, ceilHour, floorHour, zeroCounts, type Counts } from "../storage/types.js";
import type { Range } from "./period.js";

/**
 * An account's exact counts over `[from, end)`: whole hours from the hourly rollups, and the
 * partial hours at either edge (if the range does not start or end on the hour) from the raw
 * events and first-open/click records of those hours alone. Cost grows with the number of hours,
 * plus the events of at most two partial hours, never with the total number of events.
 */
export async function overviewCounts(store: Store, account: string, r: Range): Promise<Counts> {
  const from = r.from.getTime();
  const end = r.end.getTime();
  const wholeFrom = ceilHour(from);
  const wholeEnd = floorHour(end);
  const parts: Promise<Partial<Counts>>[] = [];
  if (wholeFrom >= wholeEnd) {
    parts.push(edge(store, account, from, end));
  } else {
    parts.push(store.rollups.sumHours(account, new Date(wholeFrom), new Date(wholeEnd)));
    if (from < wholeFrom) parts.push(edge(store, account, from, wholeFrom));
    if (wholeEnd < end) parts.push(edge(store, account, wholeEnd, end));
  }
  const total = zeroCounts();
  for (const p of await Promise.all(parts)) addCounts(total, p);
  return total;
}

async function edge(store: Store, account: string, from: number, to: number): Promise<Partial<Counts>> {
  const [rows, firsts] = await Promise.all([
    store.emailEvents.countRange(account, new Date(from), new Date(to)),
    store.marks.countRange(account, new Date(from), new Date(to)),
  ]);
  const c = zeroCounts();
  for (const row of rows) {
    c[row.kind] += row.n;
    if (row.kind === "bounce" && row.bounceType) c[row.bounceType] += row.n;
  }
  c.uopen = firsts.open;
  c.uclick = firsts.click;
  return c;
}
