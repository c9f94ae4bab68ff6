// gen/openapi/openapi.json never disagrees with the running server: for every documented
// operation, each way a call can fail is tried for real, and the statuses that come back are
// exactly the ones the document lists for it (`default` stands for the unexpected 500, which no
// well-formed test can provoke); every body, success or error, validates (Ajv) against the schema
// documented for its status, and carries the headers documented for it; and the request bodies the server accepts or rejects for a rule of
// the contract are the ones the documented request schema accepts or rejects.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { doc, type Operation, type Schema, validate } from "../helpers/openapi.js";
import { rest, startService, type TestService } from "../helpers/service.js";

let svc: TestService;
/** The same service with a rate limit of 1 request a minute per key. */
let limited: TestService;
let key: string;
let account: string;
beforeAll(async () => {
  svc = await startService({ now: new Date("2026-04-06T12:00:00Z") });
  limited = await startService({ now: new Date("2026-04-06T12:00:00Z"), limits: { rate: { perKey: { requests: 1, seconds: 60 }, perAddress: { requests: 1000, seconds: 60 } } } });
  ({ key, account } = await svc.newAccount());
  // Data for the reads to find (a timeline with an open and a click).
  await rest(svc, "PUT", "/api/v1/campaigns/camp_c", { key, body: { name: "C", status: "sent", sent_at: "2026-04-01T09:00:00Z" } });
  const ev = (id: string, type: string, timestamp: string, extra = {}) => ({ id, type, contact_email: "a@x.test", timestamp, campaign_id: "camp_c", ...extra });
  const events = [ev("d1", "send", "2026-04-01T09:00:00Z"), ev("d2", "open", "2026-04-01T09:30:00Z", { machine: true }), ev("d3", "click", "2026-04-01T10:30:00Z", { url: "https://x.test" })];
  expect((await rest(svc, "POST", "/api/v1/ingest/email-events", { key, body: { events } })).status).toBe(200);
});
afterAll(async () => {
  await svc?.close();
  await limited?.close();
});

/** How to call each operation: a valid call, one the contract rejects, and its path's unknown id. */
interface Calls {
  ok: { path: string; body?: unknown };
  bad: { path: string; body?: unknown };
  /** The same operation on an id no account has. */
  unknownId?: string;
}
const EVENT = { id: "cf-1", type: "send", contact_email: "a@x.test", timestamp: "2026-04-01T09:00:00Z", campaign_id: "camp_c" };
const CALLS: Record<string, Calls> = {
  AnalyticsService_GetOverview: { ok: { path: "/api/v1/analytics/overview?period=7d" }, bad: { path: "/api/v1/analytics/overview?period=14d" } },
  AnalyticsService_GetCampaignMetrics: {
    ok: { path: "/api/v1/analytics/campaigns/camp_c" },
    bad: { path: "/api/v1/analytics/campaigns/bad%20id" },
    unknownId: "/api/v1/analytics/campaigns/camp_nobody",
  },
  AnalyticsService_ListCampaigns: {
    ok: { path: "/api/v1/analytics/campaigns?page_size=10&status=sent" },
    bad: { path: "/api/v1/analytics/campaigns?page_size=-1" },
  },
  AnalyticsService_GetCampaignLinks: {
    ok: { path: "/api/v1/analytics/campaigns/camp_c/links" },
    bad: { path: "/api/v1/analytics/campaigns/bad%20id/links" },
    unknownId: "/api/v1/analytics/campaigns/camp_nobody/links",
  },
  AnalyticsService_GetTimeSeries: {
    ok: { path: "/api/v1/analytics/timeseries?interval=day&period=7d" },
    bad: { path: "/api/v1/analytics/timeseries?interval=fortnight" },
  },
  IngestService_RecordEmailEvents: {
    ok: { path: "/api/v1/ingest/email-events", body: { events: [EVENT] } },
    bad: { path: "/api/v1/ingest/email-events", body: { events: [{ ...EVENT, contact_email: "" }] } },
  },
  IngestService_UpsertCampaign: {
    ok: { path: "/api/v1/campaigns/camp_c", body: { name: "C", status: "sent", sent_at: "2026-04-01T09:00:00Z" } },
    bad: { path: "/api/v1/campaigns/camp_c", body: { name: "C", status: "unknown" } },
    unknownId: "/api/v1/campaigns/camp_new",
  },
  TrackService_TrackEvent: {
    ok: { path: "/api/v1/track/event", body: { event_name: "trial_started", contact_email: "a@x.test" } },
    bad: { path: "/api/v1/track/event", body: { event_name: "TrialStarted", contact_email: "a@x.test" } },
  },
  TrackService_TrackPurchase: {
    ok: { path: "/api/v1/track/purchase", body: { contact_email: "a@x.test", amount: 5, currency: "USD" } },
    bad: { path: "/api/v1/track/purchase", body: { contact_email: "a@x.test", amount: -5, currency: "USD" } },
  },
};

const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
);

type Documented = { schema: Schema; headers: string[] };
const documented = (op: Operation, status: string): Documented | undefined => {
  const r = op.responses[status];
  if (!r) return undefined;
  const resolved = (r.$ref ? doc.components.responses[r.$ref.split("/").pop()!]! : r) as {
    content: Record<string, { schema: Schema }>;
    headers?: Record<string, unknown>;
  };
  return { schema: resolved.content["application/json"]!.schema, headers: Object.keys(resolved.headers ?? {}) };
};

/** A REST call, with the response's headers. */
async function call(target: TestService, method: string, path: string, opts: { key?: string; body?: unknown; rawBody?: string }) {
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.body !== undefined || opts.rawBody !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(target.url + path, { method, headers, body: opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
}

test("GET /openapi.json serves the committed document, whose operations are exactly those called here", async () => {
  const r = await rest(svc, "GET", "/openapi.json");
  expect(r.status).toBe(200);
  expect(r.body).toEqual(doc);
  expect(operations.map((o) => o.op.operationId).sort()).toEqual(Object.keys(CALLS).sort());
});

describe("every documented status is one the server answers, and the only ones", () => {
  test.each(operations)("$method $path", async ({ method, path, op }) => {
    const calls = CALLS[op.operationId];
    expect(calls, `no calls for ${op.operationId}: add them to CALLS`).toBeDefined();
    const seen = new Map<number, unknown>();
    const tryCall = async (what: string, p: string, opts: { key?: string; body?: unknown; rawBody?: string }, target = svc) => {
      const r = await call(target, method, p, opts);
      const d = documented(op, String(r.status));
      expect(d, `${what}: ${method} ${p} answered ${r.status}, which the document does not list: ${JSON.stringify(r.body)}`).toBeDefined();
      expect(validate(d!.schema, r.body), `${what}: ${r.status} body`).toEqual([]);
      for (const h of d!.headers) expect(r.headers.get(h), `${what}: ${r.status} header ${h}`).toMatch(/^\d+$/);
      seen.set(r.status, r.body);
      return r.status;
    };
    const otherScope = (["analytics", "track", "ingest"] as const).filter((s) => s !== op["x-misar-scope"]);
    const wrongScopeKey = await svc.createKey(account, [...otherScope]);

    expect(await tryCall("a valid call", calls!.ok.path, { key, body: calls!.ok.body })).toBe(200);
    expect(await tryCall("an invalid call", calls!.bad.path, { key, body: calls!.bad.body })).toBe(400);
    await tryCall("no key", calls!.ok.path, { body: calls!.ok.body });
    await tryCall("a key without the scope", calls!.ok.path, { key: wrongScopeKey, body: calls!.ok.body });
    if (calls!.unknownId) await tryCall("an unknown id", calls!.unknownId, { key, body: calls!.ok.body });
    if (method !== "GET") {
      const huge = JSON.stringify({ blob: "x".repeat(2 * 1024 * 1024) });
      await tryCall("a body over the limit", calls!.ok.path, { key, rawBody: huge });
    }
    // Over the rate limit: the key's second call within the minute.
    const limitedKey = await limited.createKey(account);
    await tryCall("the first call of a key limited to 1 a minute", calls!.ok.path, { key: limitedKey, body: calls!.ok.body }, limited);
    expect(await tryCall("its second call", calls!.ok.path, { key: limitedKey, body: calls!.ok.body }, limited)).toBe(429);
    svc.store.availability.markDown("conformance test");
    try {
      await tryCall("the database down", calls!.ok.path, { key, body: calls!.ok.body });
    } finally {
      svc.store.availability.markUp();
    }

    const listed = Object.keys(op.responses).filter((s) => s !== "default").map(Number).sort();
    expect([...seen.keys()].sort(), `statuses answered for ${method} ${path}`).toEqual(listed);
  });
});

describe("the request schemas hold the contract's rules", () => {
  test.each(operations.filter((o) => o.op.requestBody))("$method $path: the valid body passes, the rejected one fails", ({ op }) => {
    const schema = op.requestBody!.content["application/json"]!.schema;
    expect(validate(schema, CALLS[op.operationId]!.ok.body)).toEqual([]);
    expect(validate(schema, CALLS[op.operationId]!.bad.body)).not.toEqual([]);
  });

  test("for TrackPurchase, the schema and the server agree on each body", async () => {
    const schema = doc.paths["/api/v1/track/purchase"]!.post!.requestBody!.content["application/json"]!.schema;
    const base = { contact_email: "a@x.test", amount: 5, currency: "USD" };
    const bodies: Record<string, unknown>[] = [
      base,
      { ...base, amount: 0 },
      { ...base, amount: -0.01 },
      { ...base, amount: 1e16 },
      { ...base, currency: "usd" },
      { ...base, currency: "US" },
      { ...base, contact_email: "a@" },
      { ...base, order_id: "o".repeat(128) },
      { ...base, order_id: "o".repeat(129) },
      { ...base, items: [{ name: "A", quantity: 1, price: 1 }] },
      { ...base, items: [{ name: "A", quantity: 0, price: 1 }] },
      { ...base, items: [{ name: "", quantity: 1, price: 1 }] },
      { contact_email: "a@x.test", currency: "USD" },
    ];
    for (const body of bodies) {
      const r = await rest(svc, "POST", "/api/v1/track/purchase", { key, body });
      expect(r.status === 200, `${JSON.stringify(body)}: server ${r.status}, schema ${JSON.stringify(validate(schema, body))}`).toBe(
        validate(schema, body).length === 0,
      );
    }
  });
});
