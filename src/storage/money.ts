import { Long } from "mongodb";

/**
 * Money in the rollups: exact, per currency, never converted. An amount is split into whole
 * units and nanos (10^-9) of its shortest decimal form (what the client wrote: 0.1 is one tenth,
 * not the binary double nearest to it), each summed as an integer counter, so sums never drift
 * (0.10 + 0.20 is 0.30) and stay exact far beyond any real total: 64-bit counters per document,
 * nanos below 10^9 per purchase, added up as BigInt by every read (addCount in types.ts).
 * Counter names carry the currency: `rev_USD_u` / `rev_USD_n` (every purchase), `arev_USD_u` / `arev_USD_n` (attributed ones), and `rev_USD_c` / `arev_USD_c`
 * count the purchases, so a currency whose purchases were all free still shows (as 0).
 */

/** Revenue of every purchase, or of attributed ones only. */
export type RevenueKind = "rev" | "arev";

const NANOS = 1_000_000_000n;

/** `amount` (finite, ≥ 0) as whole units and nanos, rounded half-up at the 9th decimal. */
export function splitAmount(amount: number): { units: number; nanos: number } {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(amount));
  if (!m) throw new Error(`not a non-negative finite amount: ${amount}`);
  const digits = m[1]! + (m[2] ?? "");
  // The value is digits × 10^exp.
  const exp = Number(m[3] ?? 0) - (m[2]?.length ?? 0);
  let nanos: bigint;
  if (exp + 9 >= 0) nanos = BigInt(digits) * 10n ** BigInt(exp + 9);
  else {
    const div = 10n ** BigInt(-(exp + 9));
    nanos = (BigInt(digits) + div / 2n) / div;
  }
  return { units: Number(nanos / NANOS), nanos: Number(nanos % NANOS) };
}

/** The increments one purchase makes to its currency's revenue counters. */
export function revenueDelta(kind: RevenueKind, currency: string, amount: number): Record<string, number> {
  const { units, nanos } = splitAmount(amount);
  return { [`${kind}_${currency}_u`]: units, [`${kind}_${currency}_n`]: nanos, [`${kind}_${currency}_c`]: 1 };
}

/** Revenue per currency from counters, rounded half-up to cents, ordered by currency. */
export function revenueOf(counts: Record<string, number | bigint>, kind: RevenueKind): { currency: string; amount: number }[] {
  const byCurrency = new Map<string, bigint>();
  const re = new RegExp(`^${kind}_([A-Z]{3})_([unc])$`);
  const purchases = new Map<string, number>();
  for (const [name, v] of Object.entries(counts)) {
    const m = re.exec(name);
    if (!m || !v) continue;
    if (m[2] === "c") purchases.set(m[1]!, (purchases.get(m[1]!) ?? 0) + Number(v));
    else byCurrency.set(m[1]!, (byCurrency.get(m[1]!) ?? 0n) + (m[2] === "u" ? BigInt(v) * NANOS : BigInt(v)));
  }
  return [...byCurrency.keys(), ...purchases.keys()]
    .filter((c, i, all) => all.indexOf(c) === i && (purchases.get(c) ?? 0) > 0)
    .map((c) => [c, byCurrency.get(c) ?? 0n] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, n]) => ({ currency, amount: centsAsNumber((n + 5_000_000n) / 10_000_000n) }));
}

/**
 * Cents as the double nearest to their decimal value: parsed from the decimal text, since
 * `Number(cents) / 100` rounds twice past 2^53 cents (1,099,999,999,999,999,000 cents read as
 * 10,999,999,999,999,988 instead of …990).
 */
export function centsAsNumber(cents: bigint): number {
  return Number(`${cents / 100n}.${String(cents % 100n).padStart(2, "0")}`);
}

/**
 * A counter's value as written to the database: a 64-bit integer (`Long`), so that `$inc` never
 * overflows. The driver writes a small number as a 32-bit integer, and FerretDB wraps a 32-bit
 * `$inc` past 2^31 instead of widening it (seen: 2,147,483,000 + 1,000 read back as
 * -2,147,483,296): money nanos get there after three purchases, a busy account's `send` in a
 * 256-day span after ~8 million sends a day. The driver reads a 64-bit value back as a number.
 */
export function storedValue(v: number | bigint): Long {
  return typeof v === "bigint" ? Long.fromBigInt(v) : Long.fromNumber(v);
}

/** `counts` with every nonzero value as written (see storedValue), under `key(field)`. */
export function storedCounts(
  counts: Partial<Record<string, number | bigint>>,
  key: (field: string) => string = (k) => k,
): Record<string, number | Long> {
  const out: Record<string, number | Long> = {};
  for (const [field, v] of Object.entries(counts)) if (v) out[key(field)] = storedValue(v);
  return out;
}
