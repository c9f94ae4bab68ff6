/** The benchmark's dataset: seeded, reproducible email events over 90 days, as REST sends them. */
import type { EmailEventInput, EmailEventKind } from "../src/storage/types.js";

export const CAMPAIGNS = 50;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** The dataset covers [START, END); the server's clock is pinned a little after END. */
export const END = Date.UTC(2026, 3, 6); // 2026-04-06T00:00:00Z
export const START = END - 90 * DAY; // 2026-01-06T00:00:00Z, exactly the 90d preset's `from`
export const NOW = new Date(END + 12 * HOUR);


/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The REST wire form of one event. */
export interface WireEvent {
  id: string;
  type: EmailEventKind;
  contact_email: string;
  timestamp: string;
  campaign_id: string;
  bounce_type?: "hard" | "soft";
  url?: string;
  /** Flagged as caused by no person. */
  machine?: boolean;
}

interface Gen {
  ms: number;
  ev: WireEvent;
}

/**
 * N events over 90 days across `campaigns` campaigns (50 by default), in time order. Campaign i is sent at a time spread
 * over the 90 days; each recipient gets a send (within a 2-hour burst), then a delivery a few
 * seconds later or a bounce (hard/soft), then, for some, opens over the following hours and days
 * (often repeated), clicks after an open, and rarely a complaint or an unsubscribe. Recipients
 * are added round-robin over the campaigns until N events exist (the last recipient's events
 * are cut to hit N exactly). Events after END are dropped (and replaced by more recipients).
 */
export function generate(n: number, seed: number, campaigns = CAMPAIGNS): WireEvent[] {
  const rnd = prng(seed);
  const exp = (mean: number) => -Math.log(1 - rnd()) * mean;
  const sendAt: number[] = [];
  for (let c = 0; c < campaigns; c++) {
    // Spread over days 0..86 (so the last campaign's engagement mostly fits), at a business hour.
    const day = Math.floor((c * 87) / campaigns);
    sendAt.push(START + day * DAY + (8 + Math.floor(rnd() * 8)) * HOUR + Math.floor(rnd() * 60) * 60_000);
  }
  const out: Gen[] = [];
  let seq = 0;
  const push = (ms: number, ev: Omit<WireEvent, "id" | "timestamp">) => {
    if (ms >= END) return;
    out.push({ ms, ev: { id: `pev_${(seq++).toString(36)}`, timestamp: "", ...ev } as WireEvent });
  };
  for (let r = 0; out.length < n; r++) {
    const email = `user${r}@example${r % 37}.com`;
    for (let c = 0; c < campaigns && out.length < n; c++) {
      const camp = `camp_${String(c).padStart(2, "0")}`;
      const t0 = sendAt[c]! + Math.floor(rnd() * 2 * HOUR);
      push(t0, { type: "send", contact_email: email, campaign_id: camp });
      const b = rnd();
      if (b < 0.03) {
        push(t0 + 1000 + Math.floor(rnd() * 60_000), {
          type: "bounce",
          contact_email: email,
          campaign_id: camp,
          bounce_type: b < 0.01 ? "hard" : "soft",
        });
        continue;
      }
      const delivered = t0 + 1000 + Math.floor(rnd() * 30_000);
      push(delivered, { type: "delivered", contact_email: email, campaign_id: camp });
      if (rnd() < 0.42) {
        // Opens: first within hours (long tail over days), then 0..4 repeats.
        let t = delivered + Math.floor(exp(5 * HOUR));
        const opens = 1 + Math.floor(exp(0.8));
        for (let o = 0; o < Math.min(opens, 5); o++) {
          // Every fourth recipient's first open is a privacy proxy's prefetch (no random draw,
          // so the dataset is otherwise the one earlier runs used).
          push(t, { type: "open", contact_email: email, campaign_id: camp, ...(o === 0 && r % 4 === 0 ? { machine: true } : {}) });
          if (o === 0 && rnd() < 0.28) {
            const clicks = 1 + (rnd() < 0.25 ? 1 : 0);
            for (let k = 0; k < clicks; k++) {
              push(t + 5000 + Math.floor(exp(60_000)), {
                type: "click",
                contact_email: email,
                campaign_id: camp,
                url: `https://shop.example.com/c${c}/p${Math.floor(rnd() * 12)}`,
              });
            }
          }
          if (rnd() < 0.004) push(t + Math.floor(exp(120_000)), { type: "unsubscribe", contact_email: email, campaign_id: camp });
          t += Math.floor(exp(12 * HOUR));
        }
      }
      if (rnd() < 0.001) push(delivered + Math.floor(exp(6 * HOUR)), { type: "complaint", contact_email: email, campaign_id: camp });
    }
  }
  out.length = n;
  out.sort((x, y) => x.ms - y.ms);
  for (const g of out) g.ev.timestamp = new Date(g.ms).toISOString().replace(".000Z", "Z");
  return out.map((g) => g.ev);
}

/** The validated input the REST layer would hand the service for one wire event. */
export function toInput(ev: WireEvent): EmailEventInput {
  const i: EmailEventInput = {
    id: ev.id,
    kind: ev.type,
    email: ev.contact_email,
    timestamp: new Date(ev.timestamp),
    campaignId: ev.campaign_id,
  };
  if (ev.bounce_type) i.bounceType = ev.bounce_type;
  if (ev.url) i.url = ev.url;
  if (ev.machine) i.machine = true;
  return i;
}
