// Shared by the read-path tests: a seeded PRNG, the wire format of email events, ingest over
// REST, and a plain reference computation of every metric (loops over events, nothing clever).
import { expect } from "vitest";
import { rest, type TestService } from "../helpers/service.js";

export type Kind = "send" | "delivered" | "open" | "click" | "bounce" | "complaint" | "unsubscribe";

/** An email event as generated: `ms` is its instant; the rest is what goes on the wire. */
export interface Ev {
  id?: string;
  type: Kind;
  contact_email: string;
  /** undefined: the field is left out (transactional); "" also means transactional. */
  campaign_id?: string;
  ms: number;
  bounce_type?: "hard" | "soft";
  url?: string;
  /** Flagged as caused by no person (opens and clicks only). */
  machine?: boolean;
}

/** A stored purchase as the reference counts it: `amount` as the decimal the client sent. */
export interface RefPurchase {
  ms: number;
  currency: string;
  amount: string;
  /** The attributed campaign, or null. */
  campaign: string | null;
}

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** mulberry32: a tiny seeded PRNG, floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (rng: () => number, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
export const pick = <T>(rng: () => number, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
export function shuffle<T>(rng: () => number, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** RFC 3339 UTC: second precision when the instant is on a second, else milliseconds. */
export function iso(ms: number): string {
  const s = new Date(ms).toISOString();
  return ms % 1000 === 0 ? s.replace(/\.\d{3}Z$/, "Z") : s;
}

/** RFC 3339 UTC at second precision (how the service renders instants). */
export const isoSec = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

export const at = (s: string) => Date.parse(s);

/** The REST body of one event. */
export function wire(e: Ev): Record<string, unknown> {
  const o: Record<string, unknown> = { type: e.type, contact_email: e.contact_email, timestamp: iso(e.ms) };
  if (e.id !== undefined) o.id = e.id;
  if (e.campaign_id !== undefined) o.campaign_id = e.campaign_id;
  if (e.bounce_type) o.bounce_type = e.bounce_type;
  if (e.url) o.url = e.url;
  if (e.machine) o.machine = true;
  return o;
}

/** The storage layer's input form of an event (for calling the ingest directly). */
export function input(e: Ev) {
  return {
    id: e.id,
    kind: e.type,
    email: e.contact_email.trim().toLowerCase(),
    timestamp: new Date(e.ms),
    campaignId: e.campaign_id ?? "",
    bounceType: e.bounce_type,
    url: e.url,
    machine: e.machine,
  };
}

/** Posts one batch (≤ 1000) over REST and returns its answer. */
export async function post(svc: TestService, key: string, events: Ev[]): Promise<{ accepted: number; duplicates: number }> {
  const r = await rest(svc, "POST", "/api/v1/ingest/email-events", { key, body: { events: events.map(wire) } });
  expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(200);
  expect(Object.keys(r.body)).toEqual(["success", "accepted", "duplicates"]);
  return { accepted: r.body.accepted, duplicates: r.body.duplicates };
}

/** Splits events into batches of `size`. */
export function chunk<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Posts batches (each ≤ 1000) and checks that every event was new. */
export async function postAll(svc: TestService, key: string, batches: Ev[][]): Promise<void> {
  for (const batch of batches) {
    const ids = batch.filter((e) => e.id !== undefined).length;
    expect(ids).toBe(batch.length);
    expect(await post(svc, key, batch)).toEqual({ accepted: batch.length, duplicates: 0 });
  }
}

/**
 * Tracks what the service must have stored: a producer id counts once, ever (its first arrival);
 * an event without an id counts every time it arrives.
 */
export class Ledger {
  readonly seen = new Set<string>();
  readonly stored: Ev[] = [];
  /** Records an arriving batch; returns the answer the service must give. */
  arrive(batch: Ev[]): { accepted: number; duplicates: number } {
    let accepted = 0;
    let duplicates = 0;
    for (const e of batch) {
      if (e.id !== undefined) {
        if (this.seen.has(e.id)) {
          duplicates++;
          continue;
        }
        this.seen.add(e.id);
      }
      accepted++;
      this.stored.push(e);
    }
    return { accepted, duplicates };
  }
}

/** n/d rounded half-up to 3 decimals, in exact integer arithmetic; 0 when d is 0. */
export function refRate(n: number, d: number): number {
  if (d === 0) return 0;
  const N = BigInt(n) * 1000n;
  const D = BigInt(d);
  let q = N / D;
  if (2n * (N % D) >= D) q += 1n;
  return Number(q) / 1000;
}

const messageKey = (e: Ev) => `${e.campaign_id ?? ""}|${e.contact_email.trim().toLowerCase()}`;
const human = (e: Ev) => !e.machine;

/** Each message's first open and first click (and first human ones) over all stored events. */
function firsts(events: Ev[]) {
  const f = { open: new Map<string, number>(), click: new Map<string, number>(), hopen: new Map<string, number>(), hclick: new Map<string, number>() };
  const note = (m: Map<string, number>, e: Ev) => {
    const prev = m.get(messageKey(e));
    if (prev === undefined || e.ms < prev) m.set(messageKey(e), e.ms);
  };
  for (const e of events) {
    if (e.type !== "open" && e.type !== "click") continue;
    note(f[e.type], e);
    if (human(e)) note(e.type === "open" ? f.hopen : f.hclick, e);
  }
  return f;
}

/** `amount` (a decimal string, at most 9 decimals) in nanos. */
function nanos(amount: string): bigint {
  const [whole, frac = ""] = amount.split(".");
  return BigInt(whole!) * 1_000_000_000n + BigInt(frac.padEnd(9, "0"));
}

/** Sums per currency, rounded half-up to cents, ordered by currency. */
export function refRevenue(purchases: RefPurchase[]): { currency: string; amount: number }[] {
  const sums = new Map<string, bigint>();
  for (const p of purchases) sums.set(p.currency, (sums.get(p.currency) ?? 0n) + nanos(p.amount));
  return [...sums.keys()].sort().map((currency) => ({ currency, amount: Number((sums.get(currency)! + 5_000_000n) / 10_000_000n) / 100 }));
}

/** The overview's `metrics` for `[fromMs, toMs]`, `to` inclusive to the second. */
export function refOverview(events: Ev[], fromMs: number, toMs: number, purchases: RefPurchase[] = []) {
  const end = Math.floor(toMs / 1000) * 1000 + 1000;
  const inRange = (ms: number) => ms >= fromMs && ms < end;
  const n: Record<string, number> = { send: 0, delivered: 0, open: 0, click: 0, bounce: 0, hard: 0, soft: 0, complaint: 0, unsubscribe: 0, hopen: 0, hclick: 0 };
  for (const e of events) {
    if (!inRange(e.ms)) continue;
    n[e.type]!++;
    if (e.type === "bounce") n[e.bounce_type!]!++;
    if ((e.type === "open" || e.type === "click") && human(e)) n[`h${e.type}`]!++;
  }
  const f = firsts(events);
  const uniques = (m: Map<string, number>) => [...m.values()].filter(inRange).length;
  const bought = purchases.filter((p) => inRange(p.ms));
  const attributed = bought.filter((p) => p.campaign !== null);
  return {
    sends: n.send!,
    delivered: n.delivered!,
    opens: n.open!,
    unique_opens: uniques(f.open),
    clicks: n.click!,
    unique_clicks: uniques(f.click),
    bounces: n.bounce!,
    hard_bounces: n.hard!,
    soft_bounces: n.soft!,
    complaints: n.complaint!,
    unsubscribes: n.unsubscribe!,
    open_rate: refRate(n.open!, n.send!),
    click_rate: refRate(n.click!, n.send!),
    bounce_rate: refRate(n.bounce!, n.send!),
    complaint_rate: refRate(n.complaint!, n.send!),
    human_opens: n.hopen!,
    unique_human_opens: uniques(f.hopen),
    human_clicks: n.hclick!,
    unique_human_clicks: uniques(f.hclick),
    human_open_rate: refRate(n.hopen!, n.send!),
    human_click_rate: refRate(n.hclick!, n.send!),
    purchases: bought.length,
    conversions: attributed.length,
    revenue: refRevenue(bought),
    attributed_revenue: refRevenue(attributed),
  };
}

/** A campaign's all-time counts, as the metrics, the list and the links read them. */
export function refCampaignCounts(events: Ev[], id: string, purchases: RefPurchase[] = []) {
  const mine = events.filter((e) => (e.campaign_id ?? "") === id && id !== "");
  const n: Record<string, number> = { send: 0, delivered: 0, open: 0, click: 0, bounce: 0, complaint: 0, unsubscribe: 0, hopen: 0, hclick: 0 };
  let firstSend: number | undefined;
  for (const e of mine) {
    n[e.type]!++;
    if ((e.type === "open" || e.type === "click") && human(e)) n[`h${e.type}`]!++;
    if (e.type === "send" && (firstSend === undefined || e.ms < firstSend)) firstSend = e.ms;
  }
  const f = firsts(mine);
  const conversions = purchases.filter((p) => p.campaign === id);
  return { mine, n, firstSend, uniques: { open: f.open.size, click: f.click.size, hopen: f.hopen.size, hclick: f.hclick.size }, conversions };
}

export interface Registered {
  name: string;
  status: "draft" | "scheduled" | "sending" | "sent" | "cancelled";
  sent_at?: string;
  total_recipients?: number;
}

/** A campaign's human (not `machine`) counts and rates, as every campaign read shows them. */
export function refHuman(n: Record<string, number>, uniques: { hopen: number; hclick: number }) {
  return {
    human_opens: n.hopen!,
    unique_human_opens: uniques.hopen,
    human_clicks: n.hclick!,
    unique_human_clicks: uniques.hclick,
    human_open_rate: refRate(n.hopen!, n.send!),
    human_click_rate: refRate(n.hclick!, n.send!),
  };
}

/** The full REST body of GET /api/v1/analytics/campaigns/{id}, or undefined when it must be 404. */
export function refCampaign(events: Ev[], id: string, reg?: Registered, purchases: RefPurchase[] = []) {
  const { mine, n, firstSend, uniques, conversions } = refCampaignCounts(events, id, purchases);
  if (mine.length === 0 && !reg) return undefined;
  const hours = new Map<number, { opens: number; clicks: number }>();
  for (const e of mine) {
    if (e.type === "open" || e.type === "click") {
      const h = Math.floor(e.ms / HOUR) * HOUR;
      const v = hours.get(h) ?? { opens: 0, clicks: 0 };
      if (e.type === "open") v.opens++;
      else v.clicks++;
      hours.set(h, v);
    }
  }
  const sentAt = reg?.sent_at !== undefined ? at(reg.sent_at) : firstSend;
  const timeline: { hour: string; opens: number; clicks: number }[] = [];
  if (hours.size > 0) {
    const last = Math.max(...hours.keys());
    const start = sentAt !== undefined ? Math.floor(sentAt / HOUR) * HOUR : Math.min(...hours.keys());
    for (let h = start; h <= last && timeline.length < 720; h += HOUR) {
      const v = hours.get(h) ?? { opens: 0, clicks: 0 };
      timeline.push({ hour: isoSec(h), opens: v.opens, clicks: v.clicks });
    }
  }
  return {
    success: true,
    campaign: refCampaignBlock(id, reg, firstSend),
    metrics: {
      total_recipients: reg?.total_recipients ?? n.send!,
      total_sent: n.send!,
      total_delivered: n.delivered!,
      total_opened: n.open!,
      total_clicked: n.click!,
      total_bounced: n.bounce!,
      total_complained: n.complaint!,
      total_unsubscribed: n.unsubscribe!,
      open_rate: refRate(n.open!, n.send!),
      click_rate: refRate(n.click!, n.send!),
      bounce_rate: refRate(n.bounce!, n.send!),
      conversions: conversions.length,
      conversion_rate: refRate(conversions.length, n.send!),
      revenue: refRevenue(conversions),
      unique_opens: uniques.open,
      unique_clicks: uniques.click,
      ...refHuman(n, uniques),
    },
    timeline,
  };
}

/** The campaign block every campaign read shows. */
export function refCampaignBlock(id: string, reg: Registered | undefined, firstSend: number | undefined) {
  const sentAt = reg?.sent_at !== undefined ? at(reg.sent_at) : firstSend;
  return {
    id,
    name: reg?.name ?? id,
    status: reg?.status ?? "unknown",
    sent_at: sentAt === undefined ? null : isoSec(sentAt),
    total_recipients: reg?.total_recipients ?? null,
  };
}

/** GET overview over REST for explicit bounds (whole seconds), returning status and body. */
export function overviewPath(fromMs: number, toMs: number): string {
  return `/api/v1/analytics/overview?from=${encodeURIComponent(isoSec(fromMs))}&to=${encodeURIComponent(isoSec(toMs))}`;
}

/** Runs tasks with at most `n` in flight. */
export async function limit<T>(n: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await tasks[i]!();
      }
    }),
  );
  return out;
}

/**
 * The campaign of the contact's latest human campaign click at or before `ms` and at most 168 h
 * before it, or null; undefined when two clicks of different campaigns tie for latest (the
 * service breaks that tie by event id, which events without a producer id get at random).
 */
export function refAttribution(stored: Ev[], email: string, ms: number): string | null | undefined {
  let best: Ev[] = [];
  for (const e of stored) {
    if (e.type !== "click" || !e.campaign_id || e.machine || e.contact_email.toLowerCase() !== email.toLowerCase()) continue;
    if (e.ms > ms || e.ms < ms - 168 * HOUR) continue;
    if (!best.length || e.ms > best[0]!.ms) best = [e];
    else if (e.ms === best[0]!.ms) best.push(e);
  }
  if (new Set(best.map((e) => e.campaign_id)).size > 1) return undefined;
  return best[0]?.campaign_id ?? null;
}

// ---- Time zones, for the time series reference: the runtime's Intl data read directly (the
// service goes through Luxon), and bucket boundaries found by walking time, not by calendar math.

interface Local {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  /** "Z" in UTC, else "+05:30" style. */
  offset: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall time and UTC offset of `ms` in `zone`. */
export function local(ms: number, zone: string): Local {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric", second: "numeric", timeZoneName: "longOffset",
    });
    formatters.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const off = p.timeZoneName!.replace("GMT", "");
  return { y: +p.year!, mo: +p.month!, d: +p.day!, h: +p.hour!, mi: +p.minute!, s: +p.second!, offset: zone === "UTC" ? "Z" : off === "" ? "+00:00" : off };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** RFC 3339 of `ms` as wall time in `zone` with its offset. */
export function localIso(ms: number, zone: string): string {
  const l = local(ms, zone);
  return `${l.y}-${pad(l.mo)}-${pad(l.d)}T${pad(l.h)}:${pad(l.mi)}:${pad(l.s)}${l.offset}`;
}

/** The first instant of local date y-mo-d in `zone` (offset read at a first guess, then again). */
export function localMidnight(y: number, mo: number, d: number, zone: string): number {
  const wall = Date.UTC(y, mo - 1, d);
  const offsetAt = (ms: number) => {
    const l = local(ms, zone);
    return Date.UTC(l.y, l.mo - 1, l.d, l.h, l.mi, l.s) - Math.floor(ms / 1000) * 1000;
  };
  return wall - offsetAt(wall - offsetAt(wall));
}

export type Interval = "hour" | "day" | "week" | "month";

/** Which local bucket `ms` falls in (an hour repeated by a DST change is two keys). */
export function bucketKey(ms: number, interval: Interval, zone: string): string {
  const l = local(ms, zone);
  if (interval === "hour") return `${l.y}-${l.mo}-${l.d}T${l.h}${l.offset}`;
  if (interval === "day") return `${l.y}-${l.mo}-${l.d}`;
  if (interval === "month") return `${l.y}-${l.mo}`;
  // The Monday of the local date's week.
  const date = Date.UTC(l.y, l.mo - 1, l.d);
  return new Date(date - ((new Date(date).getUTCDay() + 6) % 7) * DAY).toISOString().slice(0, 10);
}

/** Local boundaries in the zones tested lie on UTC quarter hours. */
const QUARTER = 15 * 60_000;

/**
 * The REST body of GET /api/v1/analytics/timeseries over `[fromMs, toMs]` (to inclusive): the
 * buckets found by walking quarter hours until the local key changes, each bucket's metrics the
 * overview's reference over its part of the range.
 */
export function refTimeSeries(events: Ev[], fromMs: number, toMs: number, interval: Interval, zone: string, purchases: RefPurchase[] = []) {
  const end = toMs + 1000;
  const key = (ms: number) => bucketKey(ms, interval, zone);
  let start = Math.floor(fromMs / QUARTER) * QUARTER;
  while (key(start - QUARTER) === key(fromMs)) start -= QUARTER;
  const buckets: { start: string; metrics: ReturnType<typeof refOverview> }[] = [];
  while (start < end) {
    let next = start + QUARTER;
    while (key(next) === key(start)) next += QUARTER;
    const a = Math.max(start, fromMs);
    const b = Math.min(next, end);
    buckets.push({ start: localIso(start, zone), metrics: refOverview(events, a, b - 1000, purchases) });
    start = next;
  }
  return { success: true, period: { from: isoSec(fromMs), to: isoSec(toMs) }, interval, time_zone: zone, buckets };
}
