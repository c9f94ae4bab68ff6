// Time parsing shared by the REST codec and the overview's period rules.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** google.protobuf.Timestamp's range, 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z, in ms. */
export const TIMESTAMP_MIN_MS = -62_135_596_800_000;
export const TIMESTAMP_MAX_MS = 253_402_300_799_999;

/**
 * Parses an RFC 3339 timestamp to epoch ms (sub-millisecond digits dropped); year 0000 is year 0,
 * not 1900, and 9999-12-31T23:59:59-23:59 is in year 10000 (the range rules refuse both).
 */
export function parseRfc3339(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = [+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return undefined;
  // Not Date.UTC: it reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  const day = date.getTime();
  if (date.getUTCDate() !== d) return undefined;
  let offset = 0;
  const z = m[8]!;
  if (z !== "Z" && z !== "z") {
    const oh = +z.slice(1, 3);
    const om = +z.slice(4, 6);
    if (oh > 23 || om > 59) return undefined;
    offset = (z[0] === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const frac = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  return day + ((h * 60 + mi) * 60 + se) * 1000 + frac - offset;
}

/** What every protocol says of a timestamp that is no RFC 3339 (REST and Connect JSON decoders). */
export const NOT_RFC3339 = "must be an RFC 3339 timestamp such as 2026-04-01T09:00:00Z";

/** What every protocol says of a timestamp outside a field's range (the contract's rule, reworded). */
export const outsideRange = (from: string, before: string) => `must be at or after ${from} and before ${before}`;

/** Whether epoch ms fit a google.protobuf.Timestamp (decoders refuse the others). */
export const fitsTimestamp = (ms: number) => ms >= TIMESTAMP_MIN_MS && ms <= TIMESTAMP_MAX_MS;
