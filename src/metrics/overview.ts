import type { Store } from "../storage/store.js";
import { onQuarters } from "../storage/hour-quarters.js";
import type { Span } from "../storage/rollups.js";
import { addCounts, ceilDay, ceilHour, floorDay, floorHour, zeroCounts, type Counts } from "../storage/types.js";
import type { Range } from "./period.js";

/** An account's exact counts over `[from, end)`: one segment, see segmentCounts. */
export async function overviewCounts(store: Store, account: string, r: Range): Promise<Counts> {
  return (await segmentCounts(store, account, [[r.from.getTime(), r.end.getTime()]]))[0]!;
}

/**
 * An account's exact counts over each of `segments` (`[from, end)` in epoch ms, whole seconds),
 * each part from the coarsest rollup that fits: whole UTC days from the day totals, the whole
 * hours beside them from the hours of their UTC day, and the partial hours at the very edges (a
 * segment that does not start or end on a UTC hour, as every bucket of a day in Asia/Kolkata)
 * from that hour's quarters when the cut is on a quarter hour, else from its per-second counts. Each document is read once however many segments
 * share it (a boundary hour serves the bucket before and the one after), so the cost grows with
 * the number of segments and days, never with the number of events.
 */
export async function segmentCounts(store: Store, account: string, segments: readonly Span[]): Promise<Counts[]> {
  const seconds: Part[] = [];
  const quarters: Part[] = [];
  const hours: Part[] = [];
  const days: Part[] = [];
  segments.forEach(([from, end], seg) => {
    const hoursFrom = ceilHour(from);
    const hoursEnd = floorHour(end);
    if (hoursFrom > hoursEnd) {
      // Inside one hour.
      seconds.push({ seg, span: [from, end] });
      return;
    }
    if (from < hoursFrom) seconds.push({ seg, span: [from, hoursFrom] });
    if (hoursEnd < end) seconds.push({ seg, span: [hoursEnd, end] });
    const daysFrom = ceilDay(hoursFrom);
    const daysEnd = floorDay(hoursEnd);
    if (daysFrom < daysEnd) {
      days.push({ seg, span: [daysFrom, daysEnd] });
      hourParts(hours, seg, hoursFrom, daysFrom);
      hourParts(hours, seg, daysEnd, hoursEnd);
    } else {
      hourParts(hours, seg, hoursFrom, hoursEnd);
    }
  });
  // Partial hours on quarter hours (a bucket edge at :15, :30 or :45 in the zones that have
  // them) read the hour's four quarters; any other cut reads the hour's seconds.
  for (let i = seconds.length - 1; i >= 0; i--) {
    if (onQuarters(...seconds[i]!.span)) quarters.push(...seconds.splice(i, 1));
  }
  const [s, q, h, d] = await Promise.all([
    store.rollups.sumSecondRanges(account, seconds.map((p) => p.span)),
    store.rollups.sumQuarterRanges(account, quarters.map((p) => p.span)),
    store.rollups.sumHourRanges(account, hours.map((p) => p.span)),
    store.rollups.sumDayRanges(account, days.map((p) => p.span)),
  ]);
  const out = segments.map(() => zeroCounts());
  const add = (parts: Part[], sums: Counts[]) => parts.forEach((p, i) => addCounts(out[p.seg]!, sums[i]!));
  add(seconds, s);
  add(quarters, q);
  add(hours, h);
  add(days, d);
  return out;
}

/** A piece of segment `seg`. */
interface Part {
  seg: number;
  span: Span;
}

/** Whole hours `[from, to)` spanning less than a day, split at UTC midnight (one part per day). */
function hourParts(out: Part[], seg: number, from: number, to: number): void {
  if (from >= to) return;
  const cut = Math.min(floorDay(from) + 24 * 3_600_000, to);
  out.push({ seg, span: [from, cut] });
  if (cut < to) out.push({ seg, span: [cut, to] });
}
