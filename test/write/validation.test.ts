import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { rest, startService, type TestService } from "../helpers/service.js";
import {
  Caller,
  PROTOCOLS,
  campaignMetrics,
  emailEvent,
  expectError,
  restOutcome,
  show,
  storedFor,
  type Protocol,
  type WriteRpc,
} from "./support.js";

// Fixed clock: "more than one day ahead" means after 2026-04-11T00:00:00Z.
const NOW = new Date("2026-04-10T00:00:00Z");

let svc: TestService;
let caller: Caller;
beforeAll(async () => {
  svc = await startService({ now: NOW });
  caller = new Caller(svc);
});
afterAll(async () => {
  caller?.close();
  await svc?.close();
});

const EVENT: JsonObject = { event_name: "trial_started", contact_email: "user@example.com", properties: { plan: "pro" } };
const PURCHASE: JsonObject = {
  contact_email: "user@example.com",
  amount: 99.99,
  currency: "USD",
  order_id: "order_1",
  items: [
    { name: "Pro Plan", quantity: 1, price: 99.99 },
    { name: "Extra", quantity: 2, price: 0 },
  ],
};
const CAMPAIGN: JsonObject = { id: "camp_v", name: "Valid", status: "sent", sent_at: "2026-04-01T09:00:00Z", total_recipients: 10 };
/** Eight valid events (several kinds) whose entries the cases below spoil. */
const batch = (spoil: Record<number, Record<string, JsonValue>> = {}): JsonObject => ({
  events: Array.from({ length: 8 }, (_, i) => {
    const kinds = ["send", "delivered", "open", "click", "bounce", "complaint", "unsubscribe", "send"];
    const type = kinds[i]!;
    const ev = emailEvent({ id: `v${i}`, type, contact_email: `u${i}@example.com`, campaign_id: "camp_v" });
    if (type === "bounce") ev.bounce_type = "hard";
    if (type === "click") ev.url = "https://x.example/";
    const out: JsonObject = { ...ev, ...spoil[i] };
    for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
    return out;
  }),
});
const without = (o: JsonObject, ...keys: string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
const nest = (levels: number): JsonObject => {
  let v: JsonObject = { leaf: 1 };
  for (let i = 1; i < levels; i++) v = { n: v };
  return v;
};

interface Case {
  name: string;
  rpc: WriteRpc;
  body: JsonObject;
  /** Every field the error must name. */
  fields: string[];
  /** Only REST can express this input (a JSON type error, an unknown word...). */
  only?: Protocol[];
}

const CASES: Case[] = [
  // TrackEvent
  { name: "event_name not snake_case (camelCase)", rpc: "trackEvent", body: { ...EVENT, event_name: "trialStarted" }, fields: ["event_name"] },
  { name: "event_name not snake_case (double underscore)", rpc: "trackEvent", body: { ...EVENT, event_name: "trial__started" }, fields: ["event_name"] },
  { name: "event_name not snake_case (leading digit)", rpc: "trackEvent", body: { ...EVENT, event_name: "1trial" }, fields: ["event_name"] },
  { name: "event_name over 64 chars", rpc: "trackEvent", body: { ...EVENT, event_name: "a".repeat(65) }, fields: ["event_name"] },
  { name: "event_name missing", rpc: "trackEvent", body: without(EVENT, "event_name"), fields: ["event_name"] },
  { name: "TrackEvent contact_email invalid", rpc: "trackEvent", body: { ...EVENT, contact_email: "not-an-email" }, fields: ["contact_email"] },
  { name: "TrackEvent contact_email missing", rpc: "trackEvent", body: without(EVENT, "contact_email"), fields: ["contact_email"] },
  { name: "properties deeper than 8 levels", rpc: "trackEvent", body: { ...EVENT, properties: nest(9) }, fields: ["properties"] },
  {
    name: "properties deeper than 8 levels through arrays",
    rpc: "trackEvent",
    body: { ...EVENT, properties: { a: [[[[[[[["deep"]]]]]]]] } },
    fields: ["properties"],
  },
  { name: "properties over 16 KiB", rpc: "trackEvent", body: { ...EVENT, properties: { blob: "x".repeat(16 * 1024) } }, fields: ["properties"] },
  { name: "TrackEvent timestamp more than 1 day ahead", rpc: "trackEvent", body: { ...EVENT, timestamp: "2026-04-11T00:00:01Z" }, fields: ["timestamp"] },
  { name: "properties not an object", rpc: "trackEvent", body: { ...EVENT, properties: ["a"] }, fields: ["properties"], only: ["rest"] },
  { name: "TrackEvent timestamp not RFC 3339", rpc: "trackEvent", body: { ...EVENT, timestamp: "yesterday" }, fields: ["timestamp"], only: ["rest"] },
  {
    name: "TrackEvent: every bad field at once",
    rpc: "trackEvent",
    body: { event_name: "Bad-Name", contact_email: "a@", timestamp: "2027-01-01T00:00:00Z" },
    fields: ["event_name", "contact_email", "timestamp"],
  },
  // TrackPurchase
  { name: "amount missing", rpc: "trackPurchase", body: without(PURCHASE, "amount"), fields: ["amount"] },
  { name: "amount negative", rpc: "trackPurchase", body: { ...PURCHASE, amount: -1 }, fields: ["amount"] },
  { name: "amount a string", rpc: "trackPurchase", body: { ...PURCHASE, amount: "99.99" }, fields: ["amount"], only: ["rest"] },
  { name: "currency unknown (XYZ)", rpc: "trackPurchase", body: { ...PURCHASE, currency: "XYZ" }, fields: ["currency"] },
  { name: "currency too short (US)", rpc: "trackPurchase", body: { ...PURCHASE, currency: "US" }, fields: ["currency"] },
  { name: "currency missing", rpc: "trackPurchase", body: without(PURCHASE, "currency"), fields: ["currency"] },
  { name: "order_id over 128 chars", rpc: "trackPurchase", body: { ...PURCHASE, order_id: "o".repeat(129) }, fields: ["order_id"] },
  { name: "TrackPurchase contact_email invalid", rpc: "trackPurchase", body: { ...PURCHASE, contact_email: "user@@example.com" }, fields: ["contact_email"] },
  { name: "TrackPurchase contact_email missing", rpc: "trackPurchase", body: without(PURCHASE, "contact_email"), fields: ["contact_email"] },
  {
    name: "items quantity 0",
    rpc: "trackPurchase",
    body: { ...PURCHASE, items: [{ name: "A", quantity: 0, price: 1 }] },
    fields: ["items[0].quantity"],
  },
  {
    name: "items price -1",
    rpc: "trackPurchase",
    body: { ...PURCHASE, items: [{ name: "A", quantity: 1, price: 1 }, { name: "B", quantity: 1, price: -1 }] },
    fields: ["items[1].price"],
  },
  { name: "items name missing", rpc: "trackPurchase", body: { ...PURCHASE, items: [{ quantity: 1, price: 1 }] }, fields: ["items[0].name"] },
  {
    name: "items quantity fractional",
    rpc: "trackPurchase",
    body: { ...PURCHASE, items: [{ name: "A", quantity: 1.5, price: 1 }] },
    fields: ["items[0].quantity"],
    only: ["rest"],
  },
  { name: "TrackPurchase timestamp more than 1 day ahead", rpc: "trackPurchase", body: { ...PURCHASE, timestamp: "2026-04-12T00:00:00Z" }, fields: ["timestamp"] },
  {
    name: "TrackPurchase: several bad fields at once",
    rpc: "trackPurchase",
    body: { ...PURCHASE, amount: -5, currency: "US", items: [{ name: "", quantity: 0, price: -1 }] },
    fields: ["amount", "currency", "items[0].name", "items[0].quantity", "items[0].price"],
  },
  // RecordEmailEvents
  { name: "events empty", rpc: "recordEmailEvents", body: { events: [] }, fields: ["events"] },
  { name: "events missing", rpc: "recordEmailEvents", body: {}, fields: ["events"] },
  {
    name: "over 1,000 events",
    rpc: "recordEmailEvents",
    body: { events: Array.from({ length: 1001 }, (_, i) => emailEvent({ contact_email: `u${i}@example.com` })) },
    fields: ["events"],
  },
  { name: "event type missing", rpc: "recordEmailEvents", body: batch({ 3: { type: null } }), fields: ["events[3].type"] },
  { name: "event type not a known word", rpc: "recordEmailEvents", body: batch({ 3: { type: "explode" } }), fields: ["events[3].type"], only: ["rest"] },
  { name: "bounce without bounce_type", rpc: "recordEmailEvents", body: batch({ 4: { bounce_type: null } }), fields: ["events[4].bounce_type"] },
  { name: "bounce_type on a non-bounce", rpc: "recordEmailEvents", body: batch({ 2: { bounce_type: "soft" } }), fields: ["events[2].bounce_type"] },
  { name: "bounce_type not hard|soft", rpc: "recordEmailEvents", body: batch({ 4: { bounce_type: "medium" } }), fields: ["events[4].bounce_type"], only: ["rest"] },
  { name: "campaign_id invalid", rpc: "recordEmailEvents", body: batch({ 0: { campaign_id: "bad id!" } }), fields: ["events[0].campaign_id"] },
  { name: "campaign_id over 64 chars", rpc: "recordEmailEvents", body: batch({ 1: { campaign_id: "c".repeat(65) } }), fields: ["events[1].campaign_id"] },
  { name: "event contact_email invalid", rpc: "recordEmailEvents", body: batch({ 5: { contact_email: "nobody" } }), fields: ["events[5].contact_email"] },
  { name: "event contact_email missing", rpc: "recordEmailEvents", body: batch({ 5: { contact_email: null } }), fields: ["events[5].contact_email"] },
  { name: "event timestamp missing", rpc: "recordEmailEvents", body: batch({ 6: { timestamp: null } }), fields: ["events[6].timestamp"] },
  { name: "event timestamp more than 1 day ahead", rpc: "recordEmailEvents", body: batch({ 7: { timestamp: "2026-04-11T00:00:01Z" } }), fields: ["events[7].timestamp"] },
  { name: "event id over 128 chars", rpc: "recordEmailEvents", body: batch({ 0: { id: "i".repeat(129) } }), fields: ["events[0].id"] },
  {
    name: "several bad indexes are all named",
    rpc: "recordEmailEvents",
    body: batch({ 1: { type: null }, 4: { bounce_type: null }, 7: { contact_email: "x" }, 6: { campaign_id: "no way" } }),
    fields: ["events[1].type", "events[4].bounce_type", "events[6].campaign_id", "events[7].contact_email"],
  },
  // UpsertCampaign
  { name: "campaign id invalid", rpc: "upsertCampaign", body: { ...CAMPAIGN, id: "bad id!" }, fields: ["id"] },
  { name: "campaign id over 64 chars", rpc: "upsertCampaign", body: { ...CAMPAIGN, id: "c".repeat(65) }, fields: ["id"] },
  { name: "name missing", rpc: "upsertCampaign", body: without(CAMPAIGN, "name"), fields: ["name"] },
  { name: "name blank", rpc: "upsertCampaign", body: { ...CAMPAIGN, name: "   " }, fields: ["name"] },
  { name: "name over 200 chars", rpc: "upsertCampaign", body: { ...CAMPAIGN, name: "n".repeat(201) }, fields: ["name"] },
  { name: "status missing", rpc: "upsertCampaign", body: without(CAMPAIGN, "status"), fields: ["status"] },
  { name: "status unknown (read-only)", rpc: "upsertCampaign", body: { ...CAMPAIGN, status: "unknown" }, fields: ["status"] },
  { name: "status not a known word", rpc: "upsertCampaign", body: { ...CAMPAIGN, status: "shipped" }, fields: ["status"], only: ["rest"] },
  { name: "total_recipients negative", rpc: "upsertCampaign", body: { ...CAMPAIGN, total_recipients: -1 }, fields: ["total_recipients"] },
  { name: "total_recipients not an integer", rpc: "upsertCampaign", body: { ...CAMPAIGN, total_recipients: 1.5 }, fields: ["total_recipients"], only: ["rest"] },
  { name: "sent_at not RFC 3339", rpc: "upsertCampaign", body: { ...CAMPAIGN, sent_at: "April 1st" }, fields: ["sent_at"], only: ["rest"] },
  // REST-only strictness
  { name: "unknown top-level field", rpc: "trackEvent", body: { ...EVENT, colour: "red" }, fields: ["colour"], only: ["rest"] },
  { name: "unknown field inside an event", rpc: "recordEmailEvents", body: batch({ 2: { colour: "red" } }), fields: ["events[2].colour"], only: ["rest"] },
  { name: "unknown field inside an item", rpc: "trackPurchase", body: { ...PURCHASE, items: [{ name: "A", quantity: 1, price: 1, sku: 7 }] }, fields: ["items[0].sku"], only: ["rest"] },
  { name: "string where a list belongs", rpc: "recordEmailEvents", body: { events: "all" }, fields: ["events"], only: ["rest"] },
];

describe("every rule is answered with 400 / INVALID_ARGUMENT naming the field, and nothing is stored", () => {
  test.each(CASES)("$rpc: $name", async ({ rpc, body, fields, only }) => {
    const { account, key } = await svc.newAccount();
    for (const protocol of only ?? PROTOCOLS) {
      const o = await caller.call(protocol, rpc, body, { key });
      expectError(o, "invalid_argument", fields, protocol);
    }
    expect(await storedFor(svc, account)).toEqual({});
  });

  test("control: the base requests are valid on every protocol (so each case fails for its one defect)", async () => {
    for (const protocol of PROTOCOLS) {
      const { account, key } = await svc.newAccount();
      for (const [rpc, body] of [
        ["trackEvent", { ...EVENT, properties: nest(8), timestamp: "2026-04-11T00:00:00Z" }],
        ["trackPurchase", PURCHASE],
        ["recordEmailEvents", batch()],
        ["upsertCampaign", CAMPAIGN],
      ] as [WriteRpc, JsonObject][]) {
        const o = await caller.call(protocol, rpc, body, { key });
        expect(o.ok, `${protocol} ${rpc}: ${show(o)}`).toBe(true);
      }
      expect(await storedFor(svc, account)).toMatchObject({ track_events: 1, purchases: 1, email_events: 8, campaigns: 1 });
    }
  });

  test("properties of just under 16 KiB and 64-char event names are accepted", async () => {
    const { key } = await svc.newAccount();
    const o = await caller.call("rest", "trackEvent", { ...EVENT, event_name: "a".repeat(64), properties: { blob: "x".repeat(16 * 1024 - 20) } }, { key });
    expect(o.ok, show(o)).toBe(true);
  });
});

describe("a batch with any invalid event is rejected whole", () => {
  test.each(["rest", "connect-binary", "grpc-js"] as Protocol[])("999 valid events + 1 invalid stores none (%s)", async (protocol) => {
    const { account, key } = await svc.newAccount();
    const events = Array.from({ length: 1000 }, (_, i) =>
      emailEvent({ id: `big-${i}`, contact_email: `u${i}@example.com`, campaign_id: "camp_whole", timestamp: "2026-04-05T00:00:00Z" }),
    );
    events[637] = { ...events[637]!, type: "bounce" }; // no bounce_type
    const o = await caller.call(protocol, "recordEmailEvents", { events }, { key });
    expectError(o, "invalid_argument", ["events[637].bounce_type"], protocol);
    const m = await campaignMetrics(svc, key, "camp_whole");
    expect(m.status).toBe(404);
    const ov = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-04-01&to=2026-04-09", { key });
    expect(ov.body.metrics.sends).toBe(0);
    expect(await storedFor(svc, account)).toEqual({});
    // The same ids are then accepted as new: nothing of the rejected batch was remembered.
    events[637] = { ...events[637]!, bounce_type: "soft" };
    const ok = await caller.call(protocol, "recordEmailEvents", { events: events.slice(630, 640) }, { key });
    expect(ok.ok && Number(ok.body.accepted)).toBe(10);
    expect(ok.ok && Number(ok.body.duplicates)).toBe(0);
  });
});

describe("REST transport-level rejections", () => {
  test("malformed JSON → 400 invalid_argument (field body), nothing stored", async () => {
    const { account, key } = await svc.newAccount();
    for (const path of ["/api/v1/track/event", "/api/v1/track/purchase", "/api/v1/ingest/email-events"]) {
      const r = await rest(svc, "POST", path, { key, rawBody: '{"event_name": "x", ', headers: { "content-type": "application/json" } });
      expect(r.status, path).toBe(400);
      expect(r.body).toMatchObject({ success: false, error: { code: "invalid_argument", field: "body" } });
    }
    const p = await rest(svc, "PUT", "/api/v1/campaigns/camp_j", { key, rawBody: "{name: 'x'}", headers: { "content-type": "application/json" } });
    expect(p.status).toBe(400);
    expect(p.body.error.code).toBe("invalid_argument");
    expect(await storedFor(svc, account)).toEqual({});
  });

  test.each([
    ["an array", "[]"],
    ["a string", '"hello"'],
    ["null", "null"],
  ])("a body that is %s → 400", async (_n, raw) => {
    const { key } = await svc.newAccount();
    const r = await rest(svc, "POST", "/api/v1/track/event", { key, rawBody: raw, headers: { "content-type": "application/json" } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: false, error: { code: "invalid_argument", field: "body" } });
  });

  test("a body over 1 MiB → 413 payload_too_large, nothing stored", async () => {
    const { account, key } = await svc.newAccount();
    // Valid events padded with a long user_agent... each within limits, but the whole body > 1 MiB.
    const events = Array.from({ length: 1000 }, (_, i) =>
      emailEvent({ id: `pad-${i}`, type: "open", contact_email: `u${i}@example.com`, user_agent: "u".repeat(1100), timestamp: "2026-04-05T00:00:00Z" }),
    );
    const raw = JSON.stringify({ events });
    expect(raw.length).toBeGreaterThan(1024 * 1024);
    const r = await rest(svc, "POST", "/api/v1/ingest/email-events", { key, rawBody: raw, headers: { "content-type": "application/json" } });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ success: false, error: { code: "payload_too_large", message: expect.any(String) } });
    // Without a content-length (chunked), the limit still holds.
    const chunked = await fetch(`${svc.url}/api/v1/track/event`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: new Blob([JSON.stringify({ ...EVENT, properties: { pad: "p".repeat(1024 * 1024) } })]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await storedFor(svc, account)).toEqual({});
  });

  test("a body just under 1 MiB is read (and judged on its content)", async () => {
    const { key } = await svc.newAccount();
    const raw = JSON.stringify({ ...EVENT, properties: { pad: "p".repeat(1024 * 1024 - 200) } });
    expect(raw.length).toBeLessThan(1024 * 1024);
    const r = restOutcome(await rest(svc, "POST", "/api/v1/track/event", { key, rawBody: raw }));
    expectError(r, "invalid_argument", ["properties"], "rest"); // over 16 KiB, but not 413
  });

  test("campaign id in the URL is validated; a body id differing from the URL is refused", async () => {
    const { account, key } = await svc.newAccount();
    for (const bad of ["bad%20id!", "a".repeat(65), "%E2%9C%93"]) {
      const r = await rest(svc, "PUT", `/api/v1/campaigns/${bad}`, { key, body: { name: "N", status: "draft" } });
      expect(r.status, bad).toBe(400);
      expect(r.body.error).toMatchObject({ code: "invalid_argument", field: "id" });
    }
    const r = await rest(svc, "PUT", "/api/v1/campaigns/camp_one", { key, body: { id: "camp_two", name: "N", status: "draft" } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: "invalid_argument", field: "id" });
    expect(await storedFor(svc, account)).toEqual({});
  });

  test("error bodies carry success:false, code, message, field and every violation", async () => {
    const { key } = await svc.newAccount();
    const r = await rest(svc, "POST", "/api/v1/track/purchase", { key, body: { ...PURCHASE, amount: -1, currency: "XYZ" } });
    expect(r.status).toBe(400);
    expect(Object.keys(r.body)).toEqual(["success", "error"]);
    expect(r.body.success).toBe(false);
    expect(r.body.error).toEqual({
      code: "invalid_argument",
      message: expect.stringContaining("amount"),
      field: "amount",
      violations: [
        { field: "amount", description: expect.any(String) },
        { field: "currency", description: expect.any(String) },
      ],
    });
  });
});
