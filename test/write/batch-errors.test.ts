// A REST batch with problems of different kinds names every bad index at once, as RPC does: the
// contract's rules (an unknown type word, a missing bounce_type) and the server's (a timestamp
// more than a day ahead of the server's clock) in one answer.
import { afterAll, beforeAll, expect, test } from "vitest";
import { rest, startService, type TestService } from "../helpers/service.js";

let svc: TestService;
beforeAll(async () => {
  svc = await startService({ now: new Date("2026-04-06T12:00:00Z") });
});
afterAll(() => svc.close());

test("an unknown type word, a timestamp too far ahead and a missing bounce_type are all reported, nothing stored", async () => {
  const { key } = await svc.newAccount();
  const ok = { type: "send", contact_email: "a@x.test", timestamp: "2026-04-01T09:00:00Z", campaign_id: "camp_mix" };
  const r = await rest(svc, "POST", "/api/v1/ingest/email-events", {
    key,
    body: {
      events: [
        ok,
        { ...ok, type: "explode" },
        { ...ok, timestamp: "2026-04-07T12:00:01Z" },
        ok,
        { ...ok, type: "bounce" },
        { ...ok, type: "open", bounce_type: "medium" },
      ],
    },
  });
  expect(r.status).toBe(400);
  expect(r.body.error.code).toBe("invalid_argument");
  expect(r.body.error.field).toBe("events[1].type");
  expect(r.body.error.violations.map((v: { field: string }) => v.field)).toEqual([
    "events[1].type",
    "events[2].timestamp",
    "events[4].bounce_type",
    "events[5].bounce_type",
  ]);
  const m = await rest(svc, "GET", "/api/v1/analytics/campaigns/camp_mix", { key });
  expect(m.status).toBe(404);
});

test("a timestamp that is no RFC 3339 is rejected while decoding, naming its field", async () => {
  const { key } = await svc.newAccount();
  const ok = { type: "send", contact_email: "a@x.test", timestamp: "2026-04-01T09:00:00Z", campaign_id: "camp_mix" };
  const r = await rest(svc, "POST", "/api/v1/ingest/email-events", { key, body: { events: [ok, { ...ok, timestamp: "yesterday" }] } });
  expect(r.status).toBe(400);
  expect(r.body.error).toMatchObject({ code: "invalid_argument", field: "events[1].timestamp" });
  expect(r.body.error.message).toContain("RFC 3339");
});

test("a batch wrong everywhere: checking stops after the listed 100, and the answer says where (REST and Connect JSON alike)", async () => {
  const { key } = await svc.newAccount();
  // 1,000 bounces without bounce_type and with a bad address: two wrong fields per event.
  const bad = { type: "bounce", contact_email: "nobody", timestamp: "2026-04-01T09:00:00Z", campaign_id: "camp_bad" };
  const body = { events: Array.from({ length: 1000 }, () => bad) };
  const r = await rest(svc, "POST", "/api/v1/ingest/email-events", { key, body });
  expect(r.status).toBe(400);
  const fields = r.body.error.violations.map((v: { field: string }) => v.field);
  expect(fields.length).toBe(100);
  expect(fields.slice(0, 4)).toEqual(["events[0].contact_email", "events[0].bounce_type", "events[1].contact_email", "events[1].bounce_type"]);
  expect(fields.at(-1)).toBe("events[49].bounce_type");
  const message = r.body.error.message as string;
  expect(message).toMatch(/^at least 10\d invalid fields: events\[0\]\.contact_email: .*; and \d+ more \(only the first 100 are listed\); events\[5\d\] onwards not checked$/);
  // The same words over Connect JSON (camelCase names, enum names).
  const c = await fetch(`${svc.url}/misar.analytics.v1.IngestService/RecordEmailEvents`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ events: body.events.map((e) => ({ type: "EMAIL_EVENT_TYPE_BOUNCE", contactEmail: e.contact_email, timestamp: e.timestamp, campaignId: e.campaign_id })) }),
  });
  expect(c.status).toBe(400);
  expect(((await c.json()) as { message: string }).message).toBe(message);
});

test("over 1,000 events: refused for their number, without checking each", async () => {
  const { key } = await svc.newAccount();
  const bad = { type: "bounce", contact_email: "nobody", timestamp: "2026-04-01T09:00:00Z", campaign_id: "camp_bad" };
  const r = await rest(svc, "POST", "/api/v1/ingest/email-events", { key, body: { events: Array.from({ length: 1001 }, () => bad) } });
  expect(r.status).toBe(400);
  expect(r.body.error.violations.map((v: { field: string }) => v.field)).toEqual(["events[0].contact_email", "events[0].bounce_type", "events"]);
  expect(r.body.error.message).toMatch(/^at least 3 invalid fields: .*events: must contain no more than 1000 item\(s\); events\[1\] onwards not checked$/);
});
