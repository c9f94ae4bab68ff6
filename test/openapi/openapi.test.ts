// Pure checks of gen/openapi/openapi.json (no server): every endpoint of MISSION.md's table and of
// the API documentation is there, and the documentation's own example bodies validate against
// the schemas, with a small OpenAPI 3.0 schema validator below.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// Copies of the public API documentation and MISSION.md (shared/ beside the repository holds the
// originals; MISAR_SHARED_DIR points at another copy), so the check needs nothing outside the clone.
const shared = process.env.MISAR_SHARED_DIR ?? join(root, "test", "fixtures");
const specPath = process.env.MISAR_SHARED_DIR ? join(shared, "spec", "analytics-api.txt") : join(shared, "analytics-api.txt");
const missionPath = join(shared, "MISSION.md");

import {
  doc,
  op,
  resolve,
  requestSchema,
  successSchema,
  validate,
  type Doc,
  type Issue,
  type Operation,
  type Schema,
} from "../helpers/openapi.js";

// ---- the documentation's examples ----------------------------------------------------------------
/** The JSON value that starts at text[start] ('{'), by brace matching outside strings. */
function jsonAt(text: string, start: number): string {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`unterminated JSON at ${start}`);
}

type Example = { method: string; path: string; request?: unknown; response: unknown; responseText: string };

/** Each endpoint section of the spec: its request body (curl -d) if any, and its response. */
function specExamples(spec: string): Example[] {
  const heads = [...spec.matchAll(/(GET|POST|PUT|DELETE|PATCH) (\/api\/v1\/\S+)$/gm)];
  return heads.map((h, k) => {
    const section = spec.slice(h.index!, heads[k + 1]?.index ?? spec.length);
    const path = h[2]!.replace(/:([a-z_]+)/g, "{$1}");
    const data = section.indexOf("-d '");
    const request = data >= 0 ? JSON.parse(jsonAt(section, section.indexOf("{", data))) : undefined;
    const resp = section.search(/Response\s*\n\s*\{/); // "Response" may follow other text on its line
    if (resp < 0) throw new Error(`no Response in the section of ${h[0]}`);
    const responseText = jsonAt(section, section.indexOf("{", resp));
    return { method: h[1]!, path, request, response: JSON.parse(responseText), responseText };
  });
}

const spec = existsSync(specPath) ? readFileSync(specPath, "utf8") : undefined;
const mission = existsSync(missionPath) ? readFileSync(missionPath, "utf8") : undefined;

/** The operations MISSION.md's "Beyond the spec" adds (method, path, operationId). */
const BEYOND: [string, string, string][] = [
  ["GET", "/api/v1/analytics/timeseries", "AnalyticsService_GetTimeSeries"],
  ["GET", "/api/v1/analytics/campaigns", "AnalyticsService_ListCampaigns"],
  ["GET", "/api/v1/analytics/campaigns/{id}/links", "AnalyticsService_GetCampaignLinks"],
];

/** The metrics "Beyond the spec" adds after the spec's own (human/machine splits, purchases, revenue). */
const OVERVIEW_ADDED = ["human_opens", "unique_human_opens", "human_clicks", "unique_human_clicks", "human_open_rate", "human_click_rate", "purchases", "conversions", "revenue", "attributed_revenue"];
const CAMPAIGN_ADDED = ["conversions", "conversion_rate", "revenue", "unique_opens", "unique_clicks", "human_opens", "unique_human_opens", "human_clicks", "unique_human_clicks", "human_open_rate", "human_click_rate"];

describe("openapi.json", () => {
  it("is OpenAPI 3.0 with bearer auth on every operation", () => {
    expect(doc.openapi).toBe("3.0.3");
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
  });

  it("has every RPC of MISSION.md's surface table, with its scope", () => {
    expect(mission, `${missionPath} is missing (set MISAR_SHARED_DIR)`).toBeDefined();
    const rows = [...mission!.matchAll(/^\| `(\w+)\.(\w+)` \| `(GET|POST|PUT|DELETE|PATCH) (\/api\/v1\/[^`]+)` \| `(\w+)` \|$/gm)];
    expect(rows.length).toBe(6);
    for (const [, service, rpc, method, path, scope] of rows) {
      const o = op(method!, path!);
      expect(o.operationId).toBe(`${service}_${rpc}`);
      expect(o["x-misar-scope"]).toBe(scope);
      for (const status of ["200", "400", "401", "403", "503", "default"]) expect(o.responses[status], `${method} ${path} ${status}`).toBeDefined();
    }
    // And the RPCs of MISSION.md's "Beyond the spec", nothing else.
    for (const [method, path, id] of BEYOND) {
      const o = op(method, path);
      expect(o.operationId).toBe(id);
      expect(o["x-misar-scope"]).toBe("analytics");
    }
    const count = Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    expect(count).toBe(rows.length + BEYOND.length);
  });

  it("has every endpoint of the API documentation's table", () => {
    expect(spec, `${specPath} is missing (set MISAR_SHARED_DIR)`).toBeDefined();
    const rows = [...spec!.matchAll(/^(GET|POST|PUT|DELETE|PATCH) \| (\/api\/v1\/\S+) \|/gm)];
    expect(rows.length).toBe(4);
    for (const [, method, path] of rows) op(method!, path!.replace(/:([a-z_]+)/g, "{$1}"));
  });

  it("binds the path and query parameters from the request messages", () => {
    const overview = op("GET", "/api/v1/analytics/overview");
    expect(overview.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(["query:period", "query:from", "query:to", "query:time_zone"]);
    const series = op("GET", "/api/v1/analytics/timeseries");
    expect(series.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(["query:interval", "query:time_zone", "query:period", "query:from", "query:to"]);
    expect(overview.requestBody).toBeUndefined();
    const campaign = op("GET", "/api/v1/analytics/campaigns/{id}");
    expect(campaign.parameters).toEqual([expect.objectContaining({ name: "id", in: "path", required: true })]);
    expect(campaign.responses["404"]).toBeDefined();
    const upsert = op("PUT", "/api/v1/campaigns/{id}");
    expect(upsert.parameters?.map((p) => p.name)).toEqual(["id"]);
    // body "*" less the path's `id`
    expect(Object.keys(resolve(requestSchema("PUT", "/api/v1/campaigns/{id}").$ref!).properties!)).toEqual([
      "name",
      "status",
      "sent_at",
      "total_recipients",
    ]);
  });

  it("renders enums as the lower-cased value names, without UNSPECIFIED", () => {
    const s = doc.components.schemas;
    expect(s.EmailEventType!.enum).toEqual(["send", "delivered", "open", "click", "bounce", "complaint", "unsubscribe"]);
    expect(s.BounceType!.enum).toEqual(["hard", "soft"]);
    expect(s.CampaignStatus!.enum).toEqual(["draft", "scheduled", "sending", "sent", "cancelled", "unknown"]);
  });

  it("types counts as integers, rates as numbers, timestamps as date-time strings, optional fields as nullable", () => {
    const s = doc.components.schemas;
    expect(s.OverviewMetrics!.properties!.sends).toMatchObject({ type: "integer", format: "int64" });
    expect(s.RecordEmailEventsResponse!.properties!.accepted).toMatchObject({ type: "integer", format: "int32" });
    expect(s.OverviewMetrics!.properties!.open_rate).toMatchObject({ type: "number" });
    expect(s.TimelineEntry!.properties!.hour).toMatchObject({ type: "string", format: "date-time" });
    expect(s.TrackEventRequest!.properties!.properties).toMatchObject({ type: "object" });
    expect(s.TrackPurchaseResponse!.properties!.attributed_campaign_id).toMatchObject({ type: "string", nullable: true });
    expect(s.Campaign!.properties!.total_recipients).toMatchObject({ type: "integer", nullable: true });
  });
});

describe("the API documentation's examples validate against openapi.json", () => {
  const examples = spec ? specExamples(spec) : [];
  // Fields the service adds after the documentation's own (MISSION: "Extra fields may be added
  // after the spec's own"): the documented examples lack them, and nothing else.
  const additions: Record<string, string[]> = {
    "GET /api/v1/analytics/overview": OVERVIEW_ADDED.map((k) => `/metrics/${k}`),
    "GET /api/v1/analytics/campaigns/{id}": ["/campaign/total_recipients", ...CAMPAIGN_ADDED.map((k) => `/metrics/${k}`)],
    "POST /api/v1/track/purchase": ["/duplicate"],
  };

  it("finds the four endpoint examples", () => {
    expect(spec, `${specPath} is missing (set MISAR_SHARED_DIR)`).toBeDefined();
    expect(examples.map((e) => `${e.method} ${e.path}`)).toEqual([
      "GET /api/v1/analytics/overview",
      "GET /api/v1/analytics/campaigns/{id}",
      "POST /api/v1/track/event",
      "POST /api/v1/track/purchase",
    ]);
  });

  for (const name of [
    "GET /api/v1/analytics/overview",
    "GET /api/v1/analytics/campaigns/{id}",
    "POST /api/v1/track/event",
    "POST /api/v1/track/purchase",
  ]) {
    it(`${name}: response body`, () => {
      const ex = examples.find((e) => `${e.method} ${e.path}` === name);
      expect(ex, name).toBeDefined();
      const issues = validate(successSchema(ex!.method, ex!.path), ex!.response);
      const missing = issues.filter((i) => i.keyword === "required").map((i) => i.path);
      expect(issues.filter((i) => i.keyword !== "required")).toEqual([]);
      expect(missing).toEqual(additions[name] ?? []);
    });
  }

  for (const name of ["POST /api/v1/track/event", "POST /api/v1/track/purchase"]) {
    it(`${name}: request body`, () => {
      const ex = examples.find((e) => `${e.method} ${e.path}` === name)!;
      expect(ex.request).toBeDefined();
      expect(validate(requestSchema(ex.method, ex.path), ex.request)).toEqual([]);
    });
  }

  it("the documented rates have at most 3 decimals (e.g. the campaign's 0.020)", () => {
    const rates = spec ? [...spec.matchAll(/"(\w+_rate)":\s*([0-9.]+)/g)] : [];
    expect(rates.length).toBeGreaterThanOrEqual(7);
    for (const [, , text] of rates) expect(text!, text).toMatch(/^\d+(\.\d{1,3})?$/);
    const campaign = examples.find((e) => e.path === "/api/v1/analytics/campaigns/{id}")!;
    expect(campaign.responseText).toContain('"bounce_rate": 0.020');
    expect((campaign.response as { metrics: { bounce_rate: number } }).metrics.bounce_rate).toBe(0.02);
  });
});

describe("the validator is not vacuous", () => {
  const overview = {
    success: true,
    period: { from: "2026-03-07T00:00:00Z", to: "2026-04-06T23:59:59Z" },
    metrics: {
      sends: 3, delivered: 2, opens: 3, unique_opens: 2, clicks: 1, unique_clicks: 1, bounces: 1, hard_bounces: 1,
      soft_bounces: 0, complaints: 0, unsubscribes: 0, open_rate: 1, click_rate: 0.333, bounce_rate: 0.333, complaint_rate: 0,
      human_opens: 2, unique_human_opens: 1, human_clicks: 1, unique_human_clicks: 1, human_open_rate: 0.667, human_click_rate: 0.333,
      purchases: 2, conversions: 1, revenue: [{ currency: "EUR", amount: 0.3 }, { currency: "USD", amount: 19.99 }], attributed_revenue: [{ currency: "USD", amount: 19.99 }],
    },
  };
  const schema = successSchema("GET", "/api/v1/analytics/overview");

  it("accepts a well-formed body", () => {
    expect(validate(schema, overview)).toEqual([]);
  });

  it("rejects counts as strings, fractional counts, bad timestamps, success false or missing", () => {
    const keywords = (body: unknown) => validate(schema, body).map((i) => `${i.path} ${i.keyword}`);
    expect(keywords({ ...overview, metrics: { ...overview.metrics, sends: "3" } })).toEqual(["/metrics/sends type"]);
    expect(keywords({ ...overview, metrics: { ...overview.metrics, opens: 1.5 } })).toEqual(["/metrics/opens type"]);
    expect(keywords({ ...overview, period: { ...overview.period, to: "2026-04-06 23:59" } })).toEqual(["/period/to format"]);
    expect(keywords({ ...overview, success: false })).toEqual(["/success enum"]);
    const { success: _, ...noSuccess } = overview;
    expect(keywords(noSuccess)).toEqual(["/success required"]);
  });

  it("rejects enum values in the gRPC spelling and accepts null only where nullable", () => {
    const campaign = successSchema("GET", "/api/v1/analytics/campaigns/{id}");
    const body = {
      success: true,
      campaign: { id: "c1", name: "c1", status: "sent", sent_at: null, total_recipients: null },
      metrics: {
        total_recipients: 0, total_sent: 0, total_delivered: 0, total_opened: 0, total_clicked: 0, total_bounced: 0,
        total_complained: 0, total_unsubscribed: 0, open_rate: 0, click_rate: 0, bounce_rate: 0,
        conversions: 0, conversion_rate: 0, revenue: [], unique_opens: 0, unique_clicks: 0, human_opens: 0,
        unique_human_opens: 0, human_clicks: 0, unique_human_clicks: 0, human_open_rate: 0, human_click_rate: 0,
      },
      timeline: [],
    };
    expect(validate(campaign, body)).toEqual([]);
    expect(validate(campaign, { ...body, campaign: { ...body.campaign, status: "CAMPAIGN_STATUS_SENT" } }).map((i) => i.keyword)).toEqual(["enum"]);
    expect(validate(campaign, { ...body, campaign: { ...body.campaign, name: null } }).map((i) => i.keyword)).toEqual(["type"]);
  });

  it("validates the error body of every error status", () => {
    const error = doc.components.responses.BadRequest!.content["application/json"]!.schema;
    const body = {
      success: false,
      error: { code: "invalid_argument", message: "events[1]: bounce_type is required for bounces", field: "events[1].bounce_type" },
    };
    expect(validate(error, body)).toEqual([]);
    expect(validate(error, { success: false, error: { code: "invalid_argument" } }).map((i) => i.path)).toEqual(["/error/message"]);
    expect(validate(error, { ...body, success: true }).map((i) => i.keyword)).toEqual(["enum"]);
  });
});
