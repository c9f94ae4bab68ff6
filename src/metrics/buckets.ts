import { DateTime } from "luxon";
import type { Violations } from "../rpc/errors.js";
import type { Range } from "./period.js";

export const INTERVALS = ["hour", "day", "week", "month"] as const;
export type Interval = (typeof INTERVALS)[number];
/** The most buckets one time series may have. */
export const MAX_BUCKETS = 1000;

/** A bucket of a time series: its local start as shown, and the part of the range it covers. */
export interface Bucket {
  /** RFC 3339 with the zone's offset at the bucket's start. */
  label: string;
  /** Epoch ms, inclusive: the bucket's start, or the range's start inside the first bucket. */
  from: number;
  /** Epoch ms, exclusive: the next bucket's start, or the range's end inside the last one. */
  end: number;
}

export function resolveInterval(v: Violations, name: string): Interval | undefined {
  const interval = name.trim() === "" ? "day" : name.trim();
  if ((INTERVALS as readonly string[]).includes(interval)) return interval as Interval;
  v.add("interval", `must be one of ${INTERVALS.join(", ")}`);
  return undefined;
}

/**
 * The buckets of `interval` in the range's zone that overlap `range`, ascending, cut to the range. Local
 * boundaries come from Luxon over the runtime's IANA data (Intl): `startOf` the unit, then
 * calendar arithmetic, so a day across a DST change has 23 or 25 hours and a week starts on
 * Monday (ISO). Undefined, with a violation on `interval`, past MAX_BUCKETS.
 */
export function bucketsOf(v: Violations, range: Range, interval: Interval): Bucket[] | undefined {
  const zone = range.zone;
  const out: Bucket[] = [];
  const from = range.from.getTime();
  const end = range.end.getTime();
  let start = firstStart(from, zone, interval);
  while (start.toMillis() < end) {
    if (out.length === MAX_BUCKETS) {
      v.add("interval", `the range would have more than ${MAX_BUCKETS} ${interval} buckets: use a longer interval or a shorter range`);
      return undefined;
    }
    const next = nextStart(start, interval);
    out.push({
      label: start.toISO({ suppressMilliseconds: true })!,
      from: Math.max(start.toMillis(), from),
      end: Math.min(next.toMillis(), end),
    });
    start = next;
  }
  return out;
}

/**
 * The start of the bucket that holds `from`, found by walking the buckets from two units before
 * it: `startOf(interval)` at `from` itself is wrong where that local start is ambiguous or missing
 * at `from`'s offset (in Pacific/Chatham, 03:50 +13:45 just after the spring change would start
 * its hour at 04:00, after `from`, losing the minutes between; in Australia/Lord_Howe, the second
 * 01:40 would start at the first 01:00, an hour before the bucket it is in). Walking the same
 * chain as the later buckets also makes every start independent of where the range starts.
 */
function firstStart(from: number, zone: string, interval: Interval): DateTime {
  let start: DateTime = DateTime.fromMillis(from, { zone }).minus({ [`${interval}s`]: 2 }).startOf(interval);
  for (let next = nextStart(start, interval); next.toMillis() <= from; next = nextStart(start, interval)) start = next;
  return start;
}

/**
 * The start of the bucket after the one starting at `start`: one unit on (an hour is a real hour,
 * so a local hour repeated by a DST change is two buckets; days, weeks and months are local
 * calendar units), then back to that unit's local start, so a day whose midnight does not exist
 * (a DST change at 00:00) starts when it really does, and an hour after a half-hour DST change
 * (Australia/Lord_Howe) starts on the local hour. An hour bucket also ends where the offset
 * changes inside it: an hour bucket is one local hour at one offset, so Pacific/Chatham's change
 * at 02:45 local (+12:45 → +13:45) ends the 02:00 bucket at 02:45 and starts one at 03:45 +13:45,
 * instead of counting 03:45–04:00 in the 02:00 bucket.
 */
function nextStart(start: DateTime, interval: Interval): DateTime {
  const step = interval === "hour" ? start.plus({ hours: 1 }) : start.plus({ [`${interval}s`]: 1 });
  const next = step.startOf(interval);
  // Never stall: a unit always moves time forward.
  const after = next.toMillis() > start.toMillis() ? next : step;
  return interval === "hour" ? offsetChangeBefore(start, after) : after;
}

/**
 * The first second in `(start, end)` at which the zone's offset is not `start`'s, or `end` when
 * there is none. Zone rules change offsets on whole seconds, and at most once within an hour.
 */
function offsetChangeBefore(start: DateTime, end: DateTime): DateTime {
  const offsetAt = (ms: number) => DateTime.fromMillis(ms, { zone: start.zone }).offset;
  let lo = start.toMillis();
  let hi = end.toMillis() - 1000;
  if (hi <= lo || offsetAt(hi) === start.offset) return end;
  // offsetAt(lo) is start's, offsetAt(hi) is not: narrow to the second where it changes.
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (offsetAt(mid) === start.offset) lo = mid;
    else hi = mid;
  }
  return DateTime.fromMillis(hi, { zone: start.zone });
}
