import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { DAY_MS } from "../storage/types.js";
import type { Violations } from "./errors.js";

// Deliberately simple and strict: one @, no spaces, a dotted domain with a 2+ letter TLD.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$/;
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Earliest timestamp accepted; earlier ones are almost always an unset clock or field. */
const EARLIEST = Date.UTC(2000, 0, 1);

/** Checks and normalises (trims, lower-cases) an email address; undefined when invalid. */
export function checkEmail(v: Violations, field: string, raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  if (email === "") v.add(field, "is required");
  else if (email.length > 254 || !EMAIL.test(email)) v.add(field, "must be a valid email address");
  else return email;
  return undefined;
}

/** Checks a timestamp: not before 2000, not more than a day ahead of `now`. */
export function checkTimestamp(
  v: Violations,
  field: string,
  ts: Timestamp | undefined,
  now: Date,
  opts: { required: boolean },
): Date | undefined {
  if (!ts) {
    if (opts.required) v.add(field, "is required");
    return undefined;
  }
  const d = timestampDate(ts);
  const ms = d.getTime();
  if (!Number.isFinite(ms) || ts.nanos < 0 || ts.nanos > 999_999_999) {
    v.add(field, "must be an RFC 3339 timestamp such as 2026-04-01T09:00:00Z");
  }
  else if (ms < EARLIEST) v.add(field, "must not be before 2000-01-01T00:00:00Z");
  else if (ms > now.getTime() + DAY_MS) v.add(field, "must not be more than 1 day in the future");
  else return d;
  return undefined;
}

/** Checks a string's length; `required` also rejects the empty string. */
export function checkLength(v: Violations, field: string, s: string, max: number, required = false): boolean {
  if (required && s === "") {
    v.add(field, "is required");
    return false;
  }
  if (s.length > max) {
    v.add(field, `must be at most ${max} characters`);
    return false;
  }
  return true;
}

const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

/** ISO 4217 alphabetic codes, upper-case, as known to the runtime's ICU data. */
export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && CURRENCIES.has(code);
}
