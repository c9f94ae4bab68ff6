import type { Violations } from "../rpc/errors.js";
import { DAY_MS, floorDay } from "../storage/types.js";
import { parseRfc3339 } from "../time.js";

const PRESETS: Record<string, number> = { "7d": 7, "30d": 30, "90d": 90 };
/** `from` and `to` must lie in these years (as every timestamp the service accepts). */
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2101, 0, 1) - 1000;
const OUT_OF_RANGE = "must be from 2000-01-01T00:00:00Z to 2100-12-31T23:59:59Z";
/** The longest range an overview may cover. */
export const MAX_RANGE_MS = 366 * DAY_MS;

/** A resolved overview range: `from` inclusive, `end` exclusive (`to` + 1 s). */
export interface Range {
  from: Date;
  /** Last second included, as shown to clients. */
  to: Date;
  end: Date;
}

/**
 * Resolves `period`/`from`/`to` as MISSION.md defines them. Presets end today 23:59:59Z and
 * start N days before today 00:00:00Z; `from`/`to` override either end (a bare `to` date means
 * its 23:59:59Z). With `to` alone, the preset's N days end at `to`'s day rather than today.
 * Both ends name whole seconds, inclusive: a fraction is dropped from either, as the rollups
 * count by second.
 */
export function resolveRange(v: Violations, p: { period: string; from: string; to: string }, now: Date): Range | undefined {
  const period = p.period.trim() === "" ? "30d" : p.period.trim();
  const days = PRESETS[period];
  if (days === undefined) v.add("period", "must be one of 7d, 30d, 90d");
  const today = floorDay(now.getTime());
  let toSecond = today + DAY_MS - 1000;
  if (p.to.trim() !== "") {
    const t = parseInstant(p.to.trim(), "end");
    if (t === undefined) v.add("to", "must be an RFC 3339 timestamp or a YYYY-MM-DD date");
    else if (t < EARLIEST || t > LATEST) v.add("to", OUT_OF_RANGE);
    else toSecond = Math.floor(t / 1000) * 1000;
  }
  let from = floorDay(toSecond) - (days ?? 30) * DAY_MS;
  if (p.from.trim() !== "") {
    const t = parseInstant(p.from.trim(), "start");
    if (t === undefined) v.add("from", "must be an RFC 3339 timestamp or a YYYY-MM-DD date");
    else if (t < EARLIEST || t > LATEST) v.add("from", OUT_OF_RANGE);
    else from = Math.floor(t / 1000) * 1000;
  }
  if (!v.empty) return undefined;
  const end = toSecond + 1000;
  if (from > toSecond) v.add("from", "must not be after to");
  else if (end - from > MAX_RANGE_MS) v.add("to", "the range must not exceed 366 days");
  if (!v.empty) return undefined;
  return { from: new Date(from), to: new Date(toSecond), end: new Date(end) };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses RFC 3339 or a bare date (its first or last second, per `side`) to epoch ms. */
export function parseInstant(s: string, side: "start" | "end"): number | undefined {
  const d = DATE.exec(s);
  if (!d) return parseRfc3339(s);
  const ms = Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== +d[1]! || back.getUTCMonth() !== +d[2]! - 1 || back.getUTCDate() !== +d[3]!) return undefined;
  return side === "start" ? ms : ms + DAY_MS - 1000;
}
