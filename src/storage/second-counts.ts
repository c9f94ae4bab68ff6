import { countOf, plus, type Count, type FoldForm } from "./packed-counts.js";

/**
 * The text of an hour's counts by second (`account_hour_seconds`' chunks, see rollups.ts): one
 * entry per counter, its seconds of the hour ascending, each written as the gap since the one
 * before (the first as the second itself), with `:n` after it unless n is 1:
 *
 *     open=75:2.5.1200:-1,send=3.1.1
 *
 * is 2 opens at second 75, 1 at 80 and −1 at 1280 (a first open that moved away), and sends at
 * seconds 3, 4 and 5. Why: a read of a partial hour fetches the whole hour's document, and
 * FerretDB's SQLite backend spends ~80 µs per KB of string it returns. The former form, one
 * `key:second:n` entry per counter and second (`open:75:2,open:80:1,…`), took ~8 KB for an
 * average hour of the benchmark's 10^6 events (92 KB for its busiest) against ~0.14 KB at
 * 10^4, which alone made a range cut at seconds ~1.2x dearer at 10^6; this form takes ~1.7 KB
 * there (and ~0.05 KB at 10^4): a busy hour's gaps are one or two digits, the name is written once.
 *
 * Chunks of the former form (an older build's documents, until migration 11 folds them) are
 * still read: they never hold `=`, which this form always does and no counter name can.
 */

/** One counter's increment at one second of the hour (0–3599). */
export interface SecondCount {
  second: number;
  key: string;
  n: Count;
}

/** `entries` as one chunk, summed by counter and second (zeros left out; `""` when none is left). */
export function packSeconds(entries: Iterable<SecondCount>): string {
  const byKey = new Map<string, Map<number, Count>>();
  for (const e of entries) {
    let bySecond = byKey.get(e.key);
    if (!bySecond) byKey.set(e.key, (bySecond = new Map()));
    const was = bySecond.get(e.second);
    bySecond.set(e.second, was === undefined ? e.n : plus(was, e.n));
  }
  const out: string[] = [];
  for (const [key, bySecond] of byKey) {
    const items: string[] = [];
    let previous = 0;
    for (const second of [...bySecond.keys()].sort((a, b) => a - b)) {
      const n = bySecond.get(second)!;
      if (n === 0 || n === 0n) continue;
      if (typeof n === "number" && !Number.isSafeInteger(n)) throw new Error(`counter ${key} must be a safe integer, got ${n}`);
      if (!Number.isInteger(second) || second < 0 || second >= 3600) throw new Error(`second of the hour out of range: ${second}`);
      items.push(n === 1 ? `${second - previous}` : `${second - previous}:${n}`);
      previous = second;
    }
    if (items.length > 0) out.push(`${key}=${items.join(".")}`);
  }
  return out.join(",");
}

/**
 * Calls `visit` with each entry of `chunk` (either form) whose second is in `[first, end)`, its
 * count as text. Cut by position: an entry outside the range has only its second read, and a
 * counter's remaining seconds are skipped once past `end` (an hour can hold thousands).
 */
export function scanSeconds(chunk: string, first: number, end: number, visit: (key: string, second: number, n: string) => void): void {
  const len = chunk.length;
  const dense = chunk.includes("=");
  let start = 0;
  while (start < len) {
    let stop = chunk.indexOf(",", start);
    if (stop < 0) stop = len;
    if (dense) {
      const eq = chunk.indexOf("=", start);
      const key = chunk.slice(start, eq);
      let i = eq + 1;
      let second = 0;
      while (i < stop) {
        // The gap since the previous second, then `:n` or nothing (1), up to `.` or the entry's end.
        let gap = 0;
        let c = chunk.charCodeAt(i);
        while (c >= 48 && c <= 57) {
          gap = gap * 10 + c - 48;
          c = chunk.charCodeAt(++i);
        }
        second += gap;
        if (second >= end) break;
        let itemEnd = i;
        if (c === 58) {
          itemEnd = chunk.indexOf(".", i);
          if (itemEnd < 0 || itemEnd > stop) itemEnd = stop;
        }
        if (second >= first) visit(key, second, c === 58 ? chunk.slice(i + 1, itemEnd) : "1");
        i = itemEnd + 1;
      }
    } else {
      // `key:second:n`
      const keyEnd = chunk.indexOf(":", start);
      const secEnd = chunk.indexOf(":", keyEnd + 1);
      let second = 0;
      for (let j = keyEnd + 1; j < secEnd; j++) second = second * 10 + chunk.charCodeAt(j) - 48;
      if (second >= first && second < end) visit(chunk.slice(start, keyEnd), second, chunk.slice(secEnd + 1, stop));
    }
    start = stop + 1;
  }
}

/** Every entry of `chunks` (either form), its count as text. */
export function forEachSecond(chunks: readonly string[], visit: (key: string, second: number, n: string) => void): void {
  for (const chunk of chunks) scanSeconds(chunk, 0, 3600, visit);
}

/** An hour's seconds fold into one chunk of this form; a lone chunk of the former form is due. */
export const SECONDS_FORM: FoldForm = {
  fold: (chunks) => {
    const entries: SecondCount[] = [];
    forEachSecond(chunks, (key, second, n) => entries.push({ key, second, n: countOf(n) }));
    return packSeconds(entries);
  },
  isFolded: (chunk) => chunk.includes("="),
};
