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
