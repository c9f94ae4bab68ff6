// Every route in gen/openapi/openapi.json answers on the running service, and the real success
// and error bodies validate against the documented schemas.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { doc, op, validate, type Schema } from "../helpers/openapi.js";
import { rest, startService, type TestService } from "../helpers/service.js";

let svc: TestService;
let key: string;
beforeAll(async () => {
  svc = await startService({ now: new Date("2026-04-06T12:00:00Z") });
  ({ key } = await svc.newAccount());
});
afterAll(() => svc.close());

/** A valid call for each documented operation, in an order where reads find data. */
const calls: { method: string; path: string; concrete: string; body?: unknown }[] = [
  {
    method: "PUT",
    path: "/api/v1/campaigns/{id}",
    concrete: "/api/v1/campaigns/camp_live",
    body: { name: "Live", status: "sent", sent_at: "2026-04-01T09:00:00Z", total_recipients: 2 },
  },
  {
    method: "POST",
    path: "/api/v1/ingest/email-events",
    concrete: "/api/v1/ingest/email-events",
    body: {
      events: [
        { id: "l1", type: "send", contact_email: "a@x.test", timestamp: "2026-04-01T09:00:00Z", campaign_id: "camp_live" },
        { id: "l2", type: "open", contact_email: "a@x.test", timestamp: "2026-04-01T09:30:00Z", campaign_id: "camp_live", machine: true },
        { id: "l3", type: "click", contact_email: "a@x.test", timestamp: "2026-04-01T10:30:00Z", campaign_id: "camp_live", url: "https://x.test" },
      ],
    },
  },
  { method: "POST", path: "/api/v1/track/event", concrete: "/api/v1/track/event", body: { event_name: "trial_started", contact_email: "a@x.test", properties: { plan: "pro" } } },
  {
    method: "POST",
    path: "/api/v1/track/purchase",
    concrete: "/api/v1/track/purchase",
    body: { contact_email: "a@x.test", amount: 10, currency: "USD", order_id: "o-live", timestamp: "2026-04-02T00:00:00Z" },
  },
  { method: "GET", path: "/api/v1/analytics/overview", concrete: "/api/v1/analytics/overview?period=30d" },
  { method: "GET", path: "/api/v1/analytics/campaigns/{id}", concrete: "/api/v1/analytics/campaigns/camp_live" },
  { method: "GET", path: "/api/v1/analytics/campaigns", concrete: "/api/v1/analytics/campaigns?page_size=10&status=sent" },
  { method: "GET", path: "/api/v1/analytics/campaigns/{id}/links", concrete: "/api/v1/analytics/campaigns/camp_live/links" },
  { method: "GET", path: "/api/v1/analytics/timeseries", concrete: "/api/v1/analytics/timeseries?interval=hour&from=2026-04-01&to=2026-04-01&time_zone=Asia/Kolkata" },
];

const jsonSchema = (o: { content?: Record<string, { schema: Schema }>; $ref?: string }): Schema => {
  const r = o.$ref ? doc.components.responses[o.$ref.split("/").pop()!]! : o;
  return r.content!["application/json"]!.schema;
};

describe("openapi.json against the live service", () => {
  test("documents exactly the routes exercised here", () => {
    const documented = Object.entries(doc.paths).flatMap(([p, ms]) => Object.keys(ms).map((m) => `${m.toUpperCase()} ${p}`));
    expect(documented.sort()).toEqual(calls.map((c) => `${c.method} ${c.path}`).sort());
  });

  test("every documented route answers 200 with a body valid against its schema", async () => {
    for (const c of calls) {
      const r = await rest(svc, c.method, c.concrete, { key, body: c.body });
      expect(r.status, `${c.method} ${c.concrete}`).toBe(200);
      expect(validate(jsonSchema(op(c.method, c.path).responses["200"]!), r.body), `${c.method} ${c.path}`).toEqual([]);
    }
  });

  test("error bodies (400, 401, 404) validate against the documented error responses", async () => {
    const bad = await rest(svc, "GET", "/api/v1/analytics/overview?period=14d", { key });
    expect(bad.status).toBe(400);
    expect(validate(jsonSchema(op("GET", "/api/v1/analytics/overview").responses["400"]!), bad.body)).toEqual([]);
    const unauth = await rest(svc, "GET", "/api/v1/analytics/overview");
    expect(unauth.status).toBe(401);
    expect(validate(jsonSchema(op("GET", "/api/v1/analytics/overview").responses["401"]!), unauth.body)).toEqual([]);
    const missing = await rest(svc, "GET", "/api/v1/analytics/campaigns/nope", { key });
    expect(missing.status).toBe(404);
    expect(validate(jsonSchema(op("GET", "/api/v1/analytics/campaigns/{id}").responses["404"]!), missing.body)).toEqual([]);
  });

  test("GET /openapi.json serves the committed document", async () => {
    const r = await rest(svc, "GET", "/openapi.json");
    expect(r.status).toBe(200);
    expect(r.body).toEqual(doc);
  });
});
