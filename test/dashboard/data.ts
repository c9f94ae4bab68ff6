// The dashboard tests' data, loaded through the public API (REST) like a sending pipeline would:
// a few registered campaigns with a realistic spread of events, one known only from its events,
// and enough small ones to need more than one page of the campaign list.
import { expect } from "vitest";
import { rest, type TestService } from "../helpers/service.js";
import { DAY, HOUR, at, chunk, int, mulberry32, postAll, type Ev } from "../read/lib.js";

/** The server's clock: presets (7d, 30d, 90d) end on this day. */
export const NOW = new Date("2026-04-06T12:00:00Z");

interface Spec {
  id: string;
  name?: string;
  status?: string;
  sentAt: string;
  recipients: number;
  openRate: number;
  clickRate: number;
  urls: string[];
}

export const MAIN_CAMPAIGN = "spring-sale";
export const FILLER_CAMPAIGNS = 28;

const SPECS: Spec[] = [
  { id: MAIN_CAMPAIGN, name: "Spring sale: 20% off everything", status: "sent", sentAt: "2026-04-01T09:00:00Z", recipients: 420, openRate: 0.55, clickRate: 0.18, urls: ["https://shop.example.com/spring", "https://shop.example.com/spring?utm_content=hero", "https://shop.example.com/account"] },
  { id: "weekly-digest-14", name: "Weekly digest #14", status: "sent", sentAt: "2026-03-24T07:30:00Z", recipients: 260, openRate: 0.4, clickRate: 0.08, urls: ["https://blog.example.com/digest-14"] },
  { id: "winter-clearance", name: "Winter clearance", status: "sent", sentAt: "2026-02-12T10:00:00Z", recipients: 180, openRate: 0.35, clickRate: 0.1, urls: ["https://shop.example.com/clearance"] },
  // Never registered: it reads as name = id, status unknown.
  { id: "transactional-receipts", sentAt: "2026-04-02T00:00:00Z", recipients: 90, openRate: 0.7, clickRate: 0.05, urls: ["https://shop.example.com/orders"] },
];

interface Purchase {
  contact: string;
  ms: number;
  currency: string;
  amount: number;
}
/** Amounts that add up exactly only in decimal (0.10 + 0.20), in two currencies. */
const PRICES = [
  { currency: "USD", amount: 19.99 },
  { currency: "EUR", amount: 0.1 },
  { currency: "EUR", amount: 0.2 },
  { currency: "USD", amount: 149 },
];

/** Registers the campaigns and posts their events and purchases; returns the ids of every campaign. */
export async function seed(svc: TestService, key: string): Promise<string[]> {
  const rng = mulberry32(14);
  const events: Ev[] = [];
  let n = 0;
  const add = (type: Ev["type"], campaign: string, contact: string, ms: number, extra: Partial<Ev> = {}) =>
    events.push({ id: `d${n++}`, type, campaign_id: campaign, contact_email: contact, ms, ...extra });
  const purchases: Purchase[] = [];
  const fillers: Spec[] = Array.from({ length: FILLER_CAMPAIGNS }, (_, i) => ({
    id: `newsletter-${String(i + 1).padStart(2, "0")}`,
    name: `Newsletter ${i + 1}`,
    status: i % 7 === 3 ? "cancelled" : "sent",
    sentAt: new Date(at("2026-01-10T08:00:00Z") + i * 2 * DAY).toISOString().replace(/\.\d{3}Z$/, "Z"),
    recipients: 6,
    openRate: 0.5,
    clickRate: 0.2,
    urls: ["https://blog.example.com/news"],
  }));
  for (const s of [...SPECS, ...fillers]) {
    if (s.name) {
      const r = await rest(svc, "PUT", `/api/v1/campaigns/${s.id}`, {
        key,
        body: { name: s.name, status: s.status, sent_at: s.sentAt, total_recipients: s.recipients + 10 },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const start = at(s.sentAt);
    for (let i = 0; i < s.recipients; i++) {
      const contact = `${s.id}-${i}@example.org`;
      const sent = start + i * 2_000;
      add("send", s.id, contact, sent);
      const r = rng();
      if (r < 0.03) {
        add("bounce", s.id, contact, sent + 60_000, { bounce_type: r < 0.01 ? "hard" : "soft" });
        continue;
      }
      add("delivered", s.id, contact, sent + 30_000);
      // A privacy proxy (Apple Mail Privacy Protection) fetches some messages on delivery.
      if (rng() < 0.25) add("open", s.id, contact, sent + 90_000, { machine: true });
      // A corporate link scanner follows the first link of a few.
      if (rng() < 0.05) add("click", s.id, contact, sent + 95_000, { machine: true, url: s.urls[0] });
      if (rng() >= s.openRate) continue;
      // Most opens in the first hours, a tail over the next days.
      const openAt = sent + Math.min(36 * HOUR, Math.floor(-Math.log(1 - rng()) * 6 * HOUR));
      add("open", s.id, contact, openAt);
      if (rng() < 0.3) add("open", s.id, contact, openAt + int(rng, 1, 48) * HOUR);
      if (rng() < s.clickRate / s.openRate) {
        const clickAt = openAt + int(rng, 1, 20) * 60_000;
        add("click", s.id, contact, clickAt, { url: s.urls[int(rng, 0, s.urls.length - 1)] });
        // Some buy within the hour: attributed to this campaign (last human click, 7 days).
        if (rng() < 0.4) purchases.push({ contact, ms: clickAt + 30 * 60_000, ...PRICES[purchases.length % PRICES.length]! });
      }
      if (rng() < 0.01) add("complaint", s.id, contact, openAt + HOUR);
      else if (rng() < 0.02) add("unsubscribe", s.id, contact, openAt + 2 * HOUR);
    }
  }
  // Nothing may lie after the server's clock (the 7d preset ends today 23:59:59Z).
  for (const e of events) expect(e.ms).toBeLessThan(NOW.getTime());
  await postAll(svc, key, chunk(events, 1000));
  // And purchases nobody's click explains (not attributed: revenue, but no conversion).
  purchases.push({ contact: "walk-in@example.org", ms: at("2026-04-03T15:00:00Z"), currency: "GBP", amount: 42.5 });
  purchases.push({ contact: "walk-in@example.org", ms: at("2026-03-30T11:00:00Z"), currency: "USD", amount: 0.3 });
  for (const [i, p] of purchases.entries()) {
    expect(p.ms).toBeLessThan(NOW.getTime());
    const r = await rest(svc, "POST", "/api/v1/track/purchase", {
      key,
      body: { contact_email: p.contact, amount: p.amount, currency: p.currency, order_id: `order-${i}`, timestamp: new Date(p.ms).toISOString() },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }
  expect(purchases.length).toBeGreaterThan(10);
  return [...SPECS, ...fillers].map((s) => s.id);
}
