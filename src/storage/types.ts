/** Domain types shared by the storage modules and the handlers (no MongoDB types here). */

export const EMAIL_EVENT_KINDS = ["send", "delivered", "open", "click", "bounce", "complaint", "unsubscribe"] as const;
export type EmailEventKind = (typeof EMAIL_EVENT_KINDS)[number];
export type BounceKind = "hard" | "soft";

/** A validated email event, ready to store. */
export interface EmailEventInput {
  /** The producer's id, if it gave one. */
  id?: string;
  kind: EmailEventKind;
  email: string;
  timestamp: Date;
  /** "" for transactional mail. */
  campaignId: string;
  bounceType?: BounceKind;
  url?: string;
  userAgent?: string;
  /** The producer says no person caused this open or click. */
  machine?: boolean;
}

/**
 * The rollups' counters, stored under these very names (`n.open` in day spans and campaign
 * stats, `open07` in a day's hours, `open2` in an hour's quarters, `open=75:2` in an hour's
 * seconds). A counter is found by its name, never by its position, so a new one is an addition:
 * documents written before it simply lack it (and read as 0 until a migration fills it). A
 * rename is a migration (`src/storage/migrations/`). Order here is for display only.
 */
export const COUNT_KEYS = [
  "send", "delivered", "open", "click", "bounce",
  /** Hard and soft bounces. */
  "hard", "soft",
  "complaint", "unsubscribe",
  /** Messages whose first open / first click falls in the bucket. */
  "uopen", "uclick",
  /** Open and click events not flagged `machine`. */
  "hopen", "hclick",
  /** Messages whose first human open / first human click falls in the bucket. */
  "uhopen", "uhclick",
  /** Purchases (one per order id), and those attributed to a campaign. */
  "purchase", "conversion",
] as const;

export type CountKey = (typeof COUNT_KEYS)[number];

/**
 * Counter values by name: the fixed ones of COUNT_KEYS, and money counters whose names carry a
 * currency (see money.ts), which only exist where purchases in that currency were counted.
 */
export type Counts = Record<CountKey, number> & { [name: string]: number | bigint };

export function isCountKey(k: string): k is CountKey {
  return (COUNT_KEYS as readonly string[]).includes(k);
}

/** A counter name as it can be stored: a field name and a list separator never appear in it. */
export function isCounterName(k: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_]*$/.test(k);
}

export function zeroCounts(): Counts {
  return Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as Counts;
}

/** Money sums (units, nanos; see money.ts): added as BigInt, exact at any size. */
const MONEY_SUM = /^a?rev_[A-Z]{3}_[un]$/;

/**
 * Adds `b` to `a`, every counter of `b` by name (money counters included). A stored counter
 * past 2^53 comes back from the driver as a `Long` object, not a number (`+` would concatenate
 * it as a string), so any non-number value is converted through its `toNumber()`; money sums
 * are kept as BigInt (a `Long` through its `toBigInt()`), so a revenue total is exact whatever
 * the number of purchases and documents it adds up, up to 64-bit counters per document.
 */
export function addCounts(a: Counts, b: Partial<Counts>): Counts {
  for (const [k, v] of Object.entries(b)) addCount(a, k, v);
  return a;
}

/** Adds one counter's stored value (a number, a `Long` or a BigInt) to `a[k]`, as addCounts does. */
export function addCount(a: Counts, k: string, v: unknown): void {
  if (MONEY_SUM.test(k)) {
    const n = asBigInt(v);
    if (n) a[k] = BigInt(a[k] ?? 0) + n;
    return;
  }
  const n = typeof v === "number" ? v : asNumber(v);
  if (n) a[k] = Number(a[k] ?? 0) + n;
}

function asNumber(v: unknown): number {
  if (v && typeof v === "object" && "toNumber" in v && typeof v.toNumber === "function") return Number(v.toNumber());
  return Number(v ?? 0);
}

function asBigInt(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (v && typeof v === "object" && "toBigInt" in v && typeof v.toBigInt === "function") return BigInt(v.toBigInt() as bigint);
  return BigInt(Number(v ?? 0));
}

export type CampaignStatusName = "draft" | "scheduled" | "sending" | "sent" | "cancelled";

/** A campaign as registered by UpsertCampaign. */
export interface RegisteredCampaign {
  id: string;
  name: string;
  status: CampaignStatusName;
  sentAt?: Date;
  totalRecipients?: number;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const floorHour = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
export const ceilHour = (ms: number) => Math.ceil(ms / HOUR_MS) * HOUR_MS;
export const floorDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
export const ceilDay = (ms: number) => Math.ceil(ms / DAY_MS) * DAY_MS;
