// Sanity checks of the AnalyticsService reads that the write-path tests rely on.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rest, startService, type TestService } from "../helpers/service.js";
import { Caller, PROTOCOLS, emailEvent, expectError, show } from "./support.js";

const NOW = new Date("2026-04-06T15:00:00Z");

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

describe("GetOverview", () => {
  test("REST answers the spec's shape: default period 30d ending today 23:59:59Z, counts as numbers", async () => {
    const { key } = await svc.newAccount();
    const w = await rest(svc, "POST", "/api/v1/ingest/email-events", {
      key,
      body: {
        events: [
          emailEvent({ type: "send", timestamp: "2026-04-01T09:00:00Z" }),
          emailEvent({ type: "send", contact_email: "b@example.com", timestamp: "2026-04-01T09:00:00Z" }),
          emailEvent({ type: "open", timestamp: "2026-04-01T10:00:00Z" }),
          // Outside the 30-day period.
          emailEvent({ type: "send", contact_email: "old@example.com", timestamp: "2026-03-06T23:59:59Z" }),
        ],
      },
    });
    expect(w.body.accepted).toBe(4);
    const r = await rest(svc, "GET", "/api/v1/analytics/overview", { key });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(["success", "period", "metrics"]);
    expect(r.body.period).toEqual({ from: "2026-03-07T00:00:00Z", to: "2026-04-06T23:59:59Z" });
    expect(r.body.metrics).toEqual({
      sends: 2,
      delivered: 0,
      opens: 1,
      unique_opens: 1,
      clicks: 0,
      unique_clicks: 0,
      bounces: 0,
      hard_bounces: 0,
      soft_bounces: 0,
      complaints: 0,
      unsubscribes: 0,
      open_rate: 0.5,
      click_rate: 0,
      bounce_rate: 0,
      complaint_rate: 0,
      human_opens: 1,
      unique_human_opens: 1,
      human_clicks: 0,
      unique_human_clicks: 0,
      human_open_rate: 0.5,
      human_click_rate: 0,
      purchases: 0,
      conversions: 0,
      revenue: [],
      attributed_revenue: [],
    });
  });

  test("answers on every protocol, and a bad period is 400 / INVALID_ARGUMENT naming it", async () => {
    const { key } = await svc.newAccount();
    for (const protocol of PROTOCOLS) {
      const o = await caller.call(protocol, "getOverview", { period: "7d" }, { key });
      expect(o.ok, `${protocol}: ${show(o)}`).toBe(true);
      expectError(await caller.call(protocol, "getOverview", { period: "1y" }, { key }), "invalid_argument", ["period"], protocol);
    }
  });
});

describe("GetCampaignMetrics", () => {
  test("an unknown campaign is 404 / NOT_FOUND on every protocol", async () => {
    const { key } = await svc.newAccount();
    for (const protocol of PROTOCOLS) {
      expectError(await caller.call(protocol, "getCampaignMetrics", { id: "camp_missing" }, { key }), "not_found", undefined, protocol);
    }
    const r = await rest(svc, "GET", "/api/v1/analytics/campaigns/camp_missing", { key });
    expect(r.body).toEqual({ success: false, error: { code: "not_found", message: expect.any(String) } });
  });
});
