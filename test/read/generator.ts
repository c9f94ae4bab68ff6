// A seeded generator of email event streams for one account, with the arrival plan (batches,
// retries, duplicates, out-of-order firsts) the differential and repair tests replay.
import { DAY, HOUR, at, int, pick, shuffle, type Ev, type Registered } from "./lib.js";

export const CLOCK = new Date("2026-04-06T12:00:00Z");
/** Period edges of the fixed clock: 7d/30d/90d `from`, and `to`. */
export const EDGES = ["2026-03-30T00:00:00Z", "2026-03-07T00:00:00Z", "2026-01-06T00:00:00Z", "2026-04-06T23:59:59Z"].map(at);

export interface Stream {
  /** Every distinct generated event (before duplication). */
  events: Ev[];
  /** Batches in arrival order (retries and duplicates included). */
  batches: Ev[][];
  campaigns: string[];
  registered: Map<string, Registered>;
  /** Instants that the ranges should hit exactly. */
  marks: number[];
}

const CAMPAIGNS = ["news", "promo", "weekly", "launch", "long"];

/** `extraMarks`: more instants to put events on (and to aim ranges at), e.g. local midnights. */
export function generate(rng: () => number, tag: string, size = 1, extraMarks: number[] = []): Stream {
  const events: Ev[] = [];
  let n = 0;
  const email = (k: number) => {
    const e = `u${k}@${tag}.example`;
    return rng() < 0.05 ? e.toUpperCase() : e; // stored lower-cased: the same contact
  };
  const add = (e: Omit<Ev, "id">) => {
    const ev: Ev = { ...e };
    if (rng() < 0.9) ev.id = `${tag}-${n++}`; // a few events carry no producer id
    events.push(ev);
    return ev;
  };
  const machine = (p: number) => (rng() < p ? { machine: true } : {});
  /** A campaign's links: exact urls, with `.` and `$` and a query string, one differing only in case. */
  const urls = (c: string) => [`https://x.example/${c}`, `https://x.example/${c}?a=1&b=$x.y`, `https://X.example/${c}`, `https://x.example/${c}/ü`];
  const marks: number[] = [];
  const registered = new Map<string, Registered>();
  const campaigns = CAMPAIGNS.slice(0, int(rng, 3, 5));
  if (!campaigns.includes("long")) campaigns.push("long");
  const start = at("2026-01-02T00:00:00Z");
  const latest = CLOCK.getTime() + 11 * HOUR; // ≤ 1 day ahead of the clock
  const clamp = (ms: number) => Math.min(ms, latest);
  const ms = (base: number, spread: number) => {
    const t = base + Math.floor(rng() * spread);
    return rng() < 0.5 ? Math.floor(t / 1000) * 1000 : t; // whole seconds and milliseconds
  };
  for (const c of campaigns) {
    const long = c === "long";
    const base = long ? at("2026-01-20T00:00:00Z") + int(rng, 0, 23) * HOUR : start + Math.floor(rng() * (CLOCK.getTime() - start - 5 * DAY));
    const r = rng();
    if (r < 0.3) {
      registered.set(c, { name: `Campaign ${c}`, status: "sent", sent_at: new Date(Math.floor(base / HOUR) * HOUR + 17 * 60_000).toISOString().replace(".000Z", "Z"), total_recipients: 999 });
    } else if (r < 0.5) {
      registered.set(c, { name: `Campaign ${c} (no send time)`, status: "sending" });
    }
    const contacts = Math.round(int(rng, 25, 45) * size);
    for (let k = 0; k < contacts; k++) {
      const contact = email(k);
      const send = ms(base, 2 * HOUR);
      const cid = c;
      add({ type: "send", contact_email: contact, campaign_id: cid, ms: send });
      if (rng() < 0.07) {
        add({ type: "bounce", bounce_type: rng() < 0.3 ? "hard" : "soft", contact_email: contact, campaign_id: cid, ms: ms(send, 10 * 60_000) });
        continue;
      }
      add({ type: "delivered", contact_email: contact, campaign_id: cid, ms: ms(send, 10 * 60_000) });
      const opens = pick(rng, [0, 0, 1, 1, 1, 2, 2, 3]);
      const spread = long ? 900 * HOUR : 72 * HOUR;
      // Machine opens (privacy-proxy prefetches) often come first, soon after delivery.
      if (rng() < 0.25) add({ type: "open", contact_email: contact, campaign_id: cid, ms: ms(send + 30_000, 60_000), machine: true });
      for (let o = 0; o < opens; o++) add({ type: "open", contact_email: contact, campaign_id: cid, ms: clamp(ms(send + 60_000, spread)), ...machine(0.2) });
      if (opens > 0 && rng() < 0.45) {
        for (let k2 = int(rng, 1, 3); k2 > 0; k2--) {
          add({ type: "click", contact_email: contact, campaign_id: cid, ms: clamp(ms(send + 120_000, spread)), url: pick(rng, urls(c)), ...machine(0.15) });
        }
      }
      if (rng() < 0.03) add({ type: "complaint", contact_email: contact, campaign_id: cid, ms: clamp(ms(send, 48 * HOUR)) });
      if (rng() < 0.05) add({ type: "unsubscribe", contact_email: contact, campaign_id: cid, ms: clamp(ms(send, 48 * HOUR)) });
    }
  }
  // Registered and never sent: a draft without a send time, a campaign scheduled ahead.
  registered.set(`draft_${tag}`, { name: "Draft", status: "draft" });
  registered.set(`sched_${tag}`, { name: "Scheduled", status: "scheduled", sent_at: "2026-05-01T08:00:00Z", total_recipients: 10 });
  // Transactional mail: campaign_id left out or "".
  for (let k = 0; k < Math.round(40 * size); k++) {
    const contact = `t${k}@${tag}.example`;
    const cid = rng() < 0.5 ? undefined : "";
    const send = ms(start, CLOCK.getTime() - start);
    add({ type: "send", contact_email: contact, campaign_id: cid, ms: send });
    add({ type: "delivered", contact_email: contact, campaign_id: cid, ms: ms(send, 60_000) });
    if (rng() < 0.5) add({ type: "open", contact_email: contact, campaign_id: cid, ms: clamp(ms(send, 30 * HOUR)) });
    if (rng() < 0.3) add({ type: "click", contact_email: contact, campaign_id: cid, ms: clamp(ms(send, 30 * HOUR)) });
  }
  // Events exactly on period edges and hour edges (and a millisecond before an hour).
  const hourEdges = Array.from({ length: 8 }, () => Math.floor((start + rng() * (CLOCK.getTime() - start)) / HOUR) * HOUR);
  const around = (xs: number[]) => [...xs, ...xs.map((x) => x - 1000), ...xs.map((x) => x + 1000)];
  for (const e of [...around(EDGES), ...hourEdges, ...hourEdges.map((x) => x - 1), ...around(extraMarks)]) {
    marks.push(e);
    for (let j = int(rng, 1, 3); j > 0; j--) {
      const type = pick(rng, ["send", "delivered", "open", "open", "click", "bounce", "complaint", "unsubscribe"] as const);
      const c = pick(rng, [...campaigns, undefined]);
      add({
        type,
        contact_email: c === undefined ? `t${int(rng, 0, 39)}@${tag}.example` : email(int(rng, 0, 24)),
        campaign_id: c,
        ms: e,
        ...(type === "bounce" ? { bounce_type: rng() < 0.5 ? ("hard" as const) : ("soft" as const) } : {}),
        ...(type === "open" || type === "click" ? machine(0.4) : {}),
        ...(type === "click" && c !== undefined ? { url: pick(rng, urls(c)) } : {}),
      });
    }
  }
  return { events, batches: arrival(rng, events), campaigns, registered, marks };
}

/**
 * The arrival plan: random order (later batches carry earlier opens), some messages' earliest
 * open held back to the very last batch, random batch sizes, whole batches retried, single events
 * re-sent in later batches, and a few producer ids re-used later with different content (the
 * first arrival wins).
 */
function arrival(rng: () => number, events: Ev[]): Ev[][] {
  // Hold back the earliest open of some messages that have several.
  const opens = new Map<string, Ev[]>();
  for (const e of events) {
    if (e.type !== "open" || !e.campaign_id) continue;
    const k = `${e.campaign_id}|${e.contact_email.toLowerCase()}`;
    opens.set(k, [...(opens.get(k) ?? []), e]);
  }
  const held = new Set<Ev>();
  for (const list of opens.values()) {
    if (list.length > 1 && rng() < 0.3) held.add(list.reduce((a, b) => (b.ms < a.ms ? b : a)));
  }
  // Time-sorted slices sent in random order, each shuffled: later batches carry earlier events,
  // while each batch spans few hours (every hour a batch touches is an upsert, which FerretDB
  // makes cost a collection scan).
  const main = events.filter((e) => !held.has(e)).sort((x, y) => x.ms - y.ms);
  const batches: Ev[][] = [];
  for (let i = 0; i < main.length; ) {
    const size = int(rng, 80, 400);
    batches.push(shuffle(rng, main.slice(i, i + size)));
    i += size;
  }
  shuffle(rng, batches);
  batches.push([...held]);
  const out: Ev[][] = [];
  for (let b = 0; b < batches.length; b++) {
    const batch = [...batches[b]!];
    // Re-send a few events of earlier batches (identical), and a few ids with other content.
    if (b > 0) {
      for (let j = int(rng, 0, 6); j > 0; j--) batch.push(pick(rng, batches[int(rng, 0, b - 1)]!));
      if (rng() < 0.4) {
        const prev = pick(rng, batches[int(rng, 0, b - 1)]!);
        if (prev.id) batch.push({ ...prev, ms: prev.ms + HOUR, type: prev.type === "open" ? "click" : prev.type, url: undefined });
      }
    }
    // A duplicate inside the batch itself.
    if (rng() < 0.3) batch.push(pick(rng, batch));
    out.push(batch);
    if (rng() < 0.2) out.push([...batch]); // the whole batch retried
  }
  return out;
}

/** A purchase to send: `amount` is the decimal text the client means (sent as a JSON number). */
export interface PurchasePlan {
  contact_email: string;
  amount: string;
  currency: string;
  order_id?: string;
  ms: number;
}

/** Amounts binary floating point cannot hold exactly, and their neighbours. */
const AMOUNTS = ["0.1", "0.2", "0.3", "19.99", "0.005", "2.675", "1234567.891", "0.0000001", "99.995", "1", "0", "10.01", "33.333333333"];
const CURRENCIES = ["USD", "EUR", "JPY", "KWD"];

/**
 * Purchases for a stream: most an hour to nine days after one of its clicks (inside and beyond
 * the 168-hour window, human and machine clicks alike), some by contacts who never clicked;
 * several currencies; most with an order id, some without.
 */
export function purchases(rng: () => number, tag: string, s: Stream, n: number): PurchasePlan[] {
  const clicks = s.events.filter((e) => e.type === "click" && e.campaign_id);
  const out: PurchasePlan[] = [];
  for (let i = 0; i < n; i++) {
    const c = rng() < 0.85 && clicks.length ? pick(rng, clicks) : undefined;
    const base = c ? c.ms + int(rng, 0, 9 * 24) * HOUR + int(rng, 0, 3599) * 1000 : at("2026-01-05T00:00:00Z") + Math.floor(rng() * 90 * DAY);
    const p: PurchasePlan = {
      contact_email: c ? c.contact_email : `nobody${i}@${tag}.example`,
      amount: pick(rng, AMOUNTS),
      currency: pick(rng, CURRENCIES),
      ms: Math.min(Math.floor(base / 1000) * 1000, CLOCK.getTime()),
    };
    if (rng() < 0.85) p.order_id = `${tag}-o${i}`;
    out.push(p);
  }
  return out;
}

/**
 * Instants where the tested zones' buckets meet: Europe/Berlin's DST changes (2025-10-26 and
 * 2026-03-29, 01:00Z) and the local midnights beside them, and some local midnights, Mondays and
 * month starts of Asia/Kolkata (18:30Z) and Asia/Kathmandu (18:15Z); plus random instants from
 * October to the generator's start, so that the autumn change has events around it.
 */
export function zoneMarks(rng: () => number): number[] {
  const berlin = ["2025-10-25T22:00:00Z", "2025-10-26T01:00:00Z", "2025-10-26T23:00:00Z", "2026-03-28T23:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T22:00:00Z"];
  const india = ["2026-02-28T18:30:00Z", "2026-03-22T18:30:00Z", "2026-03-31T18:30:00Z", "2026-02-28T18:15:00Z", "2026-03-15T18:15:00Z", "2026-03-31T18:15:00Z"];
  const out = [...berlin, ...india].map(at);
  for (let i = 0; i < 4; i++) out.push(at("2026-01-10T18:30:00Z") + int(rng, 0, 80) * DAY, at("2026-01-10T18:15:00Z") + int(rng, 0, 80) * DAY);
  const lo = at("2025-10-20T00:00:00Z");
  for (let i = 0; i < 20; i++) out.push(Math.floor((lo + rng() * (at("2026-01-02T00:00:00Z") - lo)) / 1000) * 1000);
  return out;
}
