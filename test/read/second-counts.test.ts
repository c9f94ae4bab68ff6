// An hour's counts by second as dense text (src/storage/second-counts.ts): any part of the hour
// sums exactly what was written, in either form (chunks an older build wrote as `key:second:n`
// mixed in), negatives and counts past 2^53 included, and a fold keeps every sum.
import { expect, test } from "vitest";
import { type Count } from "../../src/storage/packed-counts.js";
import { countOf } from "../../src/storage/packed-counts.js";
import { SECONDS_FORM, packSeconds, scanSeconds, type SecondCount } from "../../src/storage/second-counts.js";

/** The sums of `chunks` over `[first, end)` by counter, zeros left out. */
function sums(chunks: readonly string[], first: number, end: number): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const c of chunks) scanSeconds(c, first, end, (key, _s, n) => out.set(key, (out.get(key) ?? 0n) + BigInt(countOf(n))));
  for (const [k, v] of out) if (v === 0n) out.delete(k);
  return out;
}

function reference(entries: readonly SecondCount[], first: number, end: number): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const e of entries) if (e.second >= first && e.second < end) out.set(e.key, (out.get(e.key) ?? 0n) + BigInt(e.n));
  for (const [k, v] of out) if (v === 0n) out.delete(k);
  return out;
}

const sorted = (m: Map<string, bigint>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

test("the dense form as documented: each counter once, seconds as gaps, `:n` unless 1, sums by counter and second", () => {
  const chunk = packSeconds([
    { key: "open", second: 75, n: 1 },
    { key: "send", second: 3, n: 1 },
    { key: "open", second: 1280, n: -1 },
    { key: "open", second: 80, n: 1 },
    { key: "open", second: 75, n: 1 },
    { key: "send", second: 5, n: 1 },
    { key: "send", second: 4, n: 1 },
    { key: "click", second: 9, n: 2 },
    { key: "click", second: 9, n: -2 },
  ]);
  expect(chunk).toBe("open=75:2.5.1200:-1,send=3.1.1");
  expect(packSeconds([{ key: "open", second: 1, n: 0 }])).toBe("");
  // 1 open at 80 and −1 at 1280 sum to nothing.
  expect(sorted(sums([chunk], 76, 1281))).toEqual([]);
  expect(sorted(sums([chunk], 76, 1280))).toEqual([["open", 1n]]);
  expect(sorted(sums([chunk], 4, 76))).toEqual([["open", 2n], ["send", 2n]]);
  expect(() => packSeconds([{ key: "open", second: 3600, n: 1 }])).toThrow(/out of range/);
  expect(() => packSeconds([{ key: "open", second: 1, n: 0.5 }])).toThrow(/safe integer/);
});

test("random hours in chunks of both forms: every range sums exactly, before and after a fold", () => {
  let seed = 11;
  const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const keys = ["send", "delivered", "open", "uopen", "click", "rev_USD_n", "arev_EUR_u"];
  for (let round = 0; round < 40; round++) {
    const entries: SecondCount[] = [];
    const chunks: string[] = [];
    for (let c = 0; c < 1 + Math.floor(rnd() * 6); c++) {
      const chunk: SecondCount[] = [];
      // Busy (many seconds close together) or quiet (a few spread out), as hours are.
      const busy = rnd() < 0.5;
      for (let i = 0; i < (busy ? 400 : 5); i++) {
        const key = keys[Math.floor(rnd() * keys.length)]!;
        const second = Math.min(3599, Math.floor(busy ? rnd() * rnd() * 3600 : rnd() * 3600));
        let n: Count = rnd() < 0.1 ? -1 : 1 + Math.floor(rnd() * (rnd() < 0.1 ? 9 : 1));
        if (key.startsWith("rev") && rnd() < 0.2) n = 9_007_199_254_740_000n + BigInt(i);
        chunk.push({ key, second, n });
      }
      entries.push(...chunk);
      // Every third chunk as an older build wrote it: `key:second:n` entries.
      chunks.push(c % 3 === 2 ? chunk.map((e) => `${e.key}:${e.second}:${e.n}`).join(",") : packSeconds(chunk));
    }
    const folded = [SECONDS_FORM.fold(chunks)];
    expect(SECONDS_FORM.isFolded(folded[0]!)).toBe(true);
    for (let r = 0; r < 25; r++) {
      const a = Math.floor(rnd() * 3601);
      const b = Math.floor(rnd() * 3601);
      const [first, end] = r === 0 ? [0, 3600] : [Math.min(a, b), Math.max(a, b)];
      const want = sorted(reference(entries, first, end));
      expect(sorted(sums(chunks, first, end))).toEqual(want);
      expect(sorted(sums(folded, first, end))).toEqual(want);
    }
  }
});

test("a lone chunk of the former form is due for a fold; the dense form is not", () => {
  expect(SECONDS_FORM.isFolded("open:75:2,send:3:1")).toBe(false);
  expect(SECONDS_FORM.isFolded(packSeconds([{ key: "open", second: 75, n: 2 }]))).toBe(true);
  expect(SECONDS_FORM.fold(["open:75:2,send:3:1", "open:75:-2"])).toBe("send=3");
});
