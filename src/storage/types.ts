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
}

/** Event counts, as kept in the rollups. */
export interface Counts {
  send: number;
  delivered: number;
  open: number;
  click: number;
  bounce: number;
  hard: number;
  soft: number;
  complaint: number;
  unsubscribe: number;
  /** Messages whose first open falls in the bucket. */
  uopen: number;
  /** Messages whose first click falls in the bucket. */
  uclick: number;
}

export const COUNT_KEYS: readonly (keyof Counts)[] = [
  "send", "delivered", "open", "click", "bounce", "hard", "soft", "complaint", "unsubscribe", "uopen", "uclick",
];

export function zeroCounts(): Counts {
  return { send: 0, delivered: 0, open: 0, click: 0, bounce: 0, hard: 0, soft: 0, complaint: 0, unsubscribe: 0, uopen: 0, uclick: 0 };
}

export function addCounts(a: Counts, b: Partial<Counts>): Counts {
  for (const k of COUNT_KEYS) a[k] += b[k] ?? 0;
  return a;
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
