import { DateTime, IANAZone } from "luxon";
import type { Violations } from "../rpc/errors.js";
import { parseRfc3339 } from "../time.js";

const PRESETS: Record<string, number> = { "7d": 7, "30d": 30, "90d": 90 };
/** `from` and `to` must lie in these years (as every timestamp the service accepts). */
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2101, 0, 1) - 1000;
const OUT_OF_RANGE = "must be from 2000-01-01T00:00:00Z to 2100-12-31T23:59:59Z";
/**
 * The longest range an overview may cover, in days of its time zone: 366 days of Europe/Berlin
 * that hold two 25-hour days and one of 23 last 366 × 24 h + 1 h, and are still 366 days.
 */
export const MAX_RANGE_DAYS = 366;

/** A resolved overview range: `from` inclusive, `end` exclusive (`to` + 1 s). */
export interface Range {
  from: Date;
  /** Last second included, as shown to clients. */
  to: Date;
  end: Date;
  /** The IANA zone presets and bare dates were read in (and a time series' buckets follow). */
  zone: string;
}

/** A UTC offset (`+05:30`, `-0800`, `−3`): IANA zone names start with a letter. */
const OFFSET = /^[+\-−]/;

export interface RangeRequest {
  period: string;
  from: string;
  to: string;
  /** An IANA zone name; "" is UTC. */
  timeZone: string;
}

/**
 * Checks an IANA time zone name against the runtime's Intl data (through Luxon): "" is UTC.
 * Returns undefined, with a violation on `field`, for a name the runtime does not know, and for
 * a UTC offset such as `+05:30`: not a zone name, which Node 24's Intl accepts and Node 20's
 * refuses, so the same request would be answered differently by runtime.
 */
function resolveZone(v: Violations, name: string, field = "time_zone"): string | undefined {
  const zone = name.trim() === "" ? "UTC" : name.trim();
  if (OFFSET.test(zone) || !IANAZone.isValidZone(zone)) {
    // The value is not echoed: error messages reach logs, and a client may put anything there.
    v.add(field, "must be an IANA time zone name such as Europe/Berlin");
    return undefined;
  }
  return zone;
}

/**
 * Resolves `period`/`from`/`to` as MISSION.md defines them, in `timeZone` (UTC by default).
 * Presets end today 23:59:59 local time and start N local days before today's local midnight
 * (so a 7d range across a DST change is 7 × 24 h ± 1 h); `from`/`to` override either end (a
 * bare date is that local day's first or last second). With `to` alone, the preset's N days end
 * at `to`'s local day rather than today. Both ends name whole seconds, inclusive: a fraction is
 * dropped from either, as the rollups count by second.
 */
export function resolveRange(v: Violations, p: RangeRequest, now: Date): Range | undefined {
  const zone = resolveZone(v, p.timeZone);
  const period = p.period.trim() === "" ? "30d" : p.period.trim();
  const days = PRESETS[period];
  if (days === undefined) v.add("period", "must be one of 7d, 30d, 90d");
  if (zone === undefined) return undefined;
  let toSecond = DateTime.fromMillis(now.getTime(), { zone }).startOf("day").plus({ days: 1 }).toMillis() - 1000;
  if (p.to.trim() !== "") {
    const t = parseInstant(p.to.trim(), "end", zone);
    if (t === undefined) v.add("to", "must be an RFC 3339 timestamp or a YYYY-MM-DD date");
    else if (t < EARLIEST || t > LATEST) v.add("to", OUT_OF_RANGE);
    else toSecond = Math.floor(t / 1000) * 1000;
  }
  let from = DateTime.fromMillis(toSecond, { zone }).startOf("day").minus({ days: days ?? 30 }).toMillis();
  if (p.from.trim() !== "") {
    const t = parseInstant(p.from.trim(), "start", zone);
    if (t === undefined) v.add("from", "must be an RFC 3339 timestamp or a YYYY-MM-DD date");
    else if (t < EARLIEST || t > LATEST) v.add("from", OUT_OF_RANGE);
    else from = Math.floor(t / 1000) * 1000;
  }
  if (!v.empty) return undefined;
  const end = toSecond + 1000;
  if (from > toSecond) v.add("from", "must not be after to");
  else if (end > DateTime.fromMillis(from, { zone }).plus({ days: MAX_RANGE_DAYS }).toMillis()) v.add("to", `the range must not exceed ${MAX_RANGE_DAYS} days`);
  if (!v.empty) return undefined;
  return { from: new Date(from), to: new Date(toSecond), end: new Date(end), zone };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Parses RFC 3339 or a bare date to epoch ms: a date is its first or last second (per `side`)
 * in `zone`, where a day that starts or ends off midnight (a DST change at 00:00) is taken as
 * it really is.
 */
export function parseInstant(s: string, side: "start" | "end", zone = "UTC"): number | undefined {
  const d = DATE.exec(s);
  if (!d) return parseRfc3339(s);
  const day = DateTime.fromObject({ year: +d[1]!, month: +d[2]!, day: +d[3]! }, { zone });
  if (!day.isValid || day.year !== +d[1]! || day.month !== +d[2]! || day.day !== +d[3]!) return undefined;
  const start = day.startOf("day");
  return side === "start" ? start.toMillis() : start.plus({ days: 1 }).toMillis() - 1000;
}
