// The dashboard in a real browser (Debian's Chromium, headless, driven by playwright-core) against a
// real server over a real database, with data loaded through the API. Every number a page shows is
// compared with what the API answers for the same request.
import { request as httpRequest } from "node:http";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { AnalyticsService, type GetOverviewResponse, type OverviewMetrics } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import { CampaignStatus } from "../../gen/es/misar/analytics/v1/campaign_pb.js";
import type { CampaignListEntry } from "../../gen/es/misar/analytics/v1/campaign_reads_pb.js";
import { createLogger } from "../../src/log.js";
import { bearer, client, connectTransport, startService, type TestService } from "../helpers/service.js";
import { DESKTOP, PHONE, buildDashboard, fields, launch, screenshot, seriousA11yViolations, settle, tableRows } from "./browser.js";
import { FILLER_CAMPAIGNS, MAIN_CAMPAIGN, NOW, seed } from "./data.js";
import * as fmt from "./format.js";

const BROWSER_TZ = "America/New_York";
/** The dashboard's campaign list page size (web/src/pages/campaigns.ts). */
const PAGE_SIZE = 25;
let svc: TestService;
let browser: Browser;
let api: ReturnType<typeof client<typeof AnalyticsService>>;
/** Every line the server logged. */
const serverLog: string[] = [];
/** Every URL any page requested, and whether a request carried the key. */
const requested: string[] = [];
let sentKey = 0;
const pageErrors: string[] = [];
const contexts: BrowserContext[] = [];
let key: string; // analytics scope only: what a person reading the dashboard is given
let trackOnly: string;

beforeAll(async () => {
  buildDashboard();
  svc = await startService({ now: NOW, log: createLogger("debug", (l) => serverLog.push(l)) });
  const account = "acct_dash";
  await seed(svc, await svc.createKey(account, ["ingest", "track"]));
  key = await svc.createKey(account, ["analytics"]);
  trackOnly = await svc.createKey(account, ["track"]);
  api = client(AnalyticsService, connectTransport(svc));
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

async function open(viewport: typeof DESKTOP): Promise<Page> {
  const ctx = await browser.newContext({ viewport, locale: fmt.LOCALE, timezoneId: BROWSER_TZ });
  contexts.push(ctx);
  ctx.on("request", (r) => {
    requested.push(r.url());
    if (r.headers().authorization === `Bearer ${key}`) sentKey++;
  });
  const page = await ctx.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(m.text());
  });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(svc.url + "/");
  await page.waitForSelector("#api-key");
  return page;
}

async function signIn(page: Page, k: string): Promise<void> {
  await settle(page, async () => {
    await page.fill("#api-key", k);
    await page.click("button[type=submit]");
  });
}

const signInMessage = (page: Page) => page.textContent("#signin-message");

/** The overview on screen shows exactly what GetOverview and GetTimeSeries (by day) answer for this range. */
async function expectOverview(page: Page, req: { period?: string; from?: string; to?: string; timeZone: string }): Promise<void> {
  const [overview, series] = await Promise.all([
    api.getOverview(req, bearer(key)),
    api.getTimeSeries({ ...req, interval: "day" }, bearer(key)),
  ]);
  expect(overview.metrics!.sends, "the range holds data").toBeGreaterThan(0n);
  expect(await fields(page), JSON.stringify(req)).toEqual(overviewFields(overview, req.timeZone));
  expect(await tableRows(page, ".chart-box table"), JSON.stringify(req)).toEqual(
    series.buckets.map((b) => [
      fmt.date(timestampFromDate(new Date(b.start)), req.timeZone),
      fmt.count(b.metrics!.sends),
      fmt.count(b.metrics!.opens),
      fmt.count(b.metrics!.clicks),
    ]),
  );
}

function overviewFields(r: GetOverviewResponse, tz: string): Record<string, string> {
  const m = r.metrics!;
  return {
    period: `${fmt.date(r.period!.from, tz)} – ${fmt.date(r.period!.to, tz)}`,
    sends: fmt.count(m.sends),
    delivered: fmt.count(m.delivered),
    unique_opens: fmt.count(m.uniqueOpens),
    unique_clicks: fmt.count(m.uniqueClicks),
    open_rate: fmt.percent(m.openRate),
    click_rate: fmt.percent(m.clickRate),
    bounce_rate: fmt.percent(m.bounceRate),
    complaint_rate: fmt.percent(m.complaintRate),
    ...humanFields(m),
    purchases: fmt.count(m.purchases),
    conversions: fmt.count(m.conversions),
    ...moneyFields("revenue", m.revenue),
    ...moneyFields("attributed_revenue", m.attributedRevenue),
    opens: fmt.count(m.opens),
    clicks: fmt.count(m.clicks),
    bounces: fmt.count(m.bounces),
    hard_bounces: fmt.count(m.hardBounces),
    soft_bounces: fmt.count(m.softBounces),
    complaints: fmt.count(m.complaints),
    unsubscribes: fmt.count(m.unsubscribes),
  };
}

/** What the people/machines cards show: the API's human counts, and all events minus them. */
type HumanKeys = "opens" | "clicks" | "humanOpens" | "uniqueHumanOpens" | "humanClicks" | "uniqueHumanClicks" | "humanOpenRate" | "humanClickRate";
function humanFields(m: Pick<OverviewMetrics, HumanKeys>) {
  return {
    human_opens: fmt.count(m.humanOpens),
    machine_opens: fmt.count(m.opens - m.humanOpens),
    unique_human_opens: fmt.count(m.uniqueHumanOpens),
    human_open_rate: fmt.percent(m.humanOpenRate),
    human_clicks: fmt.count(m.humanClicks),
    machine_clicks: fmt.count(m.clicks - m.humanClicks),
    unique_human_clicks: fmt.count(m.uniqueHumanClicks),
    human_click_rate: fmt.percent(m.humanClickRate),
  };
}

/** One card per currency, or one "—" card when there is none. */
function moneyFields(field: string, amounts: { currency: string; amount: number }[]): Record<string, string> {
  if (amounts.length === 0) return { [field]: "—" };
  return Object.fromEntries(amounts.map((a) => [`${field}.${a.currency}`, fmt.money(a.amount, a.currency)]));
}

describe("serving", () => {
  test("GET / is the dashboard: hashed assets cached for a year, a strict CSP, the API paths unchanged", async () => {
    const index = await fetch(svc.url + "/");
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(index.headers.get("cache-control")).toBe("no-cache");
    const csp = index.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/https?:\/\//); // nothing from another origin
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBe(3); // script, stylesheet, icon
    let jsGzipBytes = 0;
    for (const path of assets) {
      const r = await rawGet(path, { "accept-encoding": "gzip" });
      expect(r.status, path).toBe(200);
      expect(r.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(path).toMatch(/-[A-Z0-9]{8}\.(js|css|svg)$/);
      if (path.endsWith(".js")) jsGzipBytes += r.body.length;
    }
    // The budget: at most 150 KB of JavaScript, gzipped, as sent.
    expect(jsGzipBytes).toBeGreaterThan(0);
    expect(jsGzipBytes).toBeLessThanOrEqual(150 * 1024);
    const again = await rawGet("/", { "if-none-match": index.headers.get("etag")! });
    expect(again.status).toBe(304);
    expect((await fetch(svc.url + "/assets/nope.js")).status).toBe(404);
    const restCall = await fetch(svc.url + "/api/v1/analytics/overview");
    expect(restCall.status).toBe(401);
    expect(await restCall.json()).toMatchObject({ success: false, error: { code: "unauthenticated" } });
  });
});

describe("in the browser", () => {
  let page: Page;

  test("sign-in refuses an unknown key, and names the scope a key lacks; neither is kept", async () => {
    page = await open(DESKTOP);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.fill("#api-key", "msk_" + "x".repeat(40));
    await page.click("button[type=submit]");
    await page.waitForSelector("#signin-message.alert");
    expect(await signInMessage(page)).toContain("not accepted");
    await page.fill("#api-key", trackOnly);
    await page.click("button[type=submit]");
    // (Locators, not waitForFunction: a function given as text would be eval'd, which the CSP forbids.)
    await page.locator("#signin-message", { hasText: "scope" }).waitFor();
    expect(await signInMessage(page)).toContain("lacks the “analytics” scope");
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    await screenshot(page, "signin-desktop");
  });

  test("overview: every number equals GetOverview's and GetTimeSeries's, for each period and time zone", async () => {
    await signIn(page, key);
    expect(await page.evaluate("Object.values(sessionStorage)")).toEqual([key]);
    // The time zone defaults to the browser's.
    expect(await page.inputValue("#tz")).toBe(BROWSER_TZ);
    await expectOverview(page, { period: "30d", timeZone: BROWSER_TZ });
    for (const period of ["7d", "90d"]) {
      await page.focus("#period"); // as a keyboard user would be (selectOption itself does not focus)
      await settle(page, () => page.selectOption("#period", period));
      await expectOverview(page, { period, timeZone: BROWSER_TZ });
      expect(page.url()).toContain(`period=${period}`);
      // Keyboard focus stays on the control that changed the view.
      expect(await page.evaluate("document.activeElement.id")).toBe("period");
    }
    await page.selectOption("#period", "custom");
    await page.fill("#from", "2026-03-24");
    await page.fill("#to", "2026-04-01");
    await settle(page, () => page.click(".controls button[type=submit]"));
    await expectOverview(page, { from: "2026-03-24", to: "2026-04-01", timeZone: BROWSER_TZ });
    // Another zone (half an hour off whole hours): the same dates are other instants, so other numbers.
    await settle(page, () => page.selectOption("#tz", "Australia/Adelaide"));
    expect(page.url()).toContain("tz=Australia%2FAdelaide");
    await expectOverview(page, { from: "2026-03-24", to: "2026-04-01", timeZone: "Australia/Adelaide" });
    const sends = async (timeZone: string) => (await api.getOverview({ from: "2026-03-24", to: "2026-04-01", timeZone }, bearer(key))).metrics!.sends;
    expect(await sends("Australia/Adelaide"), "the zone changes what the range holds").not.toBe(await sends(BROWSER_TZ));
    await settle(page, () => page.selectOption("#period", "30d"));
    expect(await page.inputValue("#tz")).toBe("Australia/Adelaide");
    await expectOverview(page, { period: "30d", timeZone: "Australia/Adelaide" });
    await settle(page, () => page.selectOption("#tz", BROWSER_TZ));
    expect(page.url()).not.toContain("tz=");
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, "overview-desktop");
  });

  test("campaigns: every row equals ListCampaigns's, through the pages and with a status filter", async () => {
    await settle(page, () => page.click("nav >> text=Campaigns"));
    const first = await api.listCampaigns({ pageSize: PAGE_SIZE }, bearer(key));
    expect(first.nextPageToken).not.toBe("");
    expect(await tableRows(page, "table.campaigns")).toEqual(first.campaigns.map(campaignRow));
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, "campaigns-desktop");
    await settle(page, () => page.click("#next-page"));
    const second = await api.listCampaigns({ pageSize: PAGE_SIZE, pageToken: first.nextPageToken }, bearer(key));
    expect(second.campaigns.length).toBe(FILLER_CAMPAIGNS + 4 - PAGE_SIZE);
    expect(await tableRows(page, "table.campaigns")).toEqual(second.campaigns.map(campaignRow));
    expect(await page.locator("#next-page").count()).toBe(0);
    await settle(page, () => page.click("#prev-page"));
    expect(await tableRows(page, "table.campaigns")).toEqual(first.campaigns.map(campaignRow));
    await settle(page, () => page.selectOption("#status", "cancelled"));
    const cancelled = await api.listCampaigns({ pageSize: PAGE_SIZE, status: CampaignStatus.CANCELLED }, bearer(key));
    expect(cancelled.campaigns.length).toBeGreaterThan(0);
    expect(await tableRows(page, "table.campaigns")).toEqual(cancelled.campaigns.map(campaignRow));
    await settle(page, () => page.selectOption("#status", ""));
  });

  test("a campaign: its metrics, hourly timeline and links equal GetCampaignMetrics's and GetCampaignLinks's", async () => {
    // Opened from the list, as a person would.
    await settle(page, () => page.click(`table.campaigns a[href="#/campaigns/${MAIN_CAMPAIGN}"]`));
    expect(page.url()).toBe(`${svc.url}/#/campaigns/${MAIN_CAMPAIGN}`);
    const [r, links] = await Promise.all([
      api.getCampaignMetrics({ id: MAIN_CAMPAIGN }, bearer(key)),
      api.getCampaignLinks({ id: MAIN_CAMPAIGN }, bearer(key)),
    ]);
    const m = r.metrics!;
    expect(await fields(page)).toEqual({
      name: r.campaign!.name,
      status: "Sent",
      sent_at: fmt.dateTime(r.campaign!.sentAt, BROWSER_TZ),
      total_recipients: fmt.count(m.totalRecipients),
      total_sent: fmt.count(m.totalSent),
      total_delivered: fmt.count(m.totalDelivered),
      total_opened: fmt.count(m.totalOpened),
      unique_opens: fmt.count(m.uniqueOpens),
      total_clicked: fmt.count(m.totalClicked),
      unique_clicks: fmt.count(m.uniqueClicks),
      open_rate: fmt.percent(m.openRate),
      click_rate: fmt.percent(m.clickRate),
      bounce_rate: fmt.percent(m.bounceRate),
      ...humanFields({ ...m, opens: m.totalOpened, clicks: m.totalClicked }),
      conversions: fmt.count(m.conversions),
      conversion_rate: fmt.percent(m.conversionRate),
      ...moneyFields("revenue", m.revenue),
      total_bounced: fmt.count(m.totalBounced),
      total_complained: fmt.count(m.totalComplained),
      total_unsubscribed: fmt.count(m.totalUnsubscribed),
      total_links: `Clicks per link: ${fmt.count(links.totalLinks)} links`,
    });
    // The data has all of these, so a card showing zero would be a real miss.
    expect(m.humanOpens).toBeLessThan(m.totalOpened);
    expect(m.conversions).toBeGreaterThan(0n);
    expect(m.revenue.map((x) => x.currency)).toEqual(["EUR", "USD"]);
    expect(links.links.length).toBe(3);
    expect(await tableRows(page, "table.links")).toEqual(links.links.map((l) => [l.url, fmt.count(l.clicks), fmt.count(l.uniqueClicks)]));
    expect(r.timeline.length).toBeGreaterThan(24);
    expect(await tableRows(page, ".chart-box table")).toEqual(
      r.timeline.map((e) => [fmt.dateTime(e.hour, BROWSER_TZ), fmt.count(e.opens), fmt.count(e.clicks)]),
    );
    expect(await page.locator(".chart canvas").count()).toBeGreaterThan(0);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, "campaign-desktop");
  });

  test("an unknown campaign says so", async () => {
    await settle(page, () => page.goto(`${svc.url}/#/campaigns/no-such-campaign`), "error");
    expect(await page.textContent("main h1")).toBe("Not found");
  });

  test("phone: the pages fit 390 px and show the same numbers", async () => {
    const phone = await open(PHONE);
    await signIn(phone, key);
    await expectOverview(phone, { period: "30d", timeZone: BROWSER_TZ });
    expect(await phone.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(PHONE.width);
    expect(await seriousA11yViolations(phone)).toEqual([]);
    await screenshot(phone, "overview-phone");
    await settle(phone, () => phone.goto(`${svc.url}/#/campaigns/${MAIN_CAMPAIGN}`));
    expect(await phone.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(PHONE.width);
    await screenshot(phone, "campaign-phone");
    await settle(phone, () => phone.click("nav >> text=Campaigns"));
    expect(await phone.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(PHONE.width);
    expect(await seriousA11yViolations(phone)).toEqual([]);
    await screenshot(phone, "campaigns-phone");
  });

  test("an account with no data yet: a loading state, then empty states and zeros", async () => {
    const p = await open(PHONE);
    // Holds the first two GetOverview calls (sign-in's check, then the page's) until each waiting
    // state has been seen.
    const gates = [gate(), gate()];
    let calls = 0;
    await p.route("**/misar.analytics.v1.AnalyticsService/GetOverview", async (route) => {
      await gates[calls++]?.promise;
      await route.continue();
    });
    await p.fill("#api-key", await svc.createKey("acct_dash_empty", ["analytics"]));
    await p.click("button[type=submit]");
    await p.locator("#signin-message", { hasText: "Checking the key…" }).waitFor();
    gates[0]!.resolve();
    await p.locator('main[data-state="loading"] .loading', { hasText: "Loading…" }).waitFor();
    gates[1]!.resolve();
    await p.waitForSelector('main[data-state="ready"]');
    expect(await p.textContent("main .empty")).toContain("No email events in this period yet");
    expect((await fields(p)).sends).toBe("0");
    expect((await fields(p)).open_rate).toBe("0.0%");
    await settle(p, () => p.click("nav >> text=Campaigns"));
    expect(await p.textContent("main .empty")).toContain("No campaigns yet");
    await p.close();
  });

  test("a revoked key returns to sign-in with a clear message", async () => {
    const account = "acct_dash";
    const shortLived = await svc.createKey(account, ["analytics"]);
    const p = await open(DESKTOP);
    await signIn(p, shortLived);
    expect(await svc.store.keys.revoke(shortLived, new Date())).toBe(true);
    await p.selectOption("#period", "7d");
    await p.waitForSelector("#signin-message.alert");
    expect(await signInMessage(p)).toContain("revoked");
    expect(await p.evaluate("sessionStorage.length")).toBe(0);
  });

  test("sign-out forgets the key", async () => {
    await page.click("#sign-out");
    await page.waitForSelector("#api-key");
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    expect(await signInMessage(page)).toContain("signed out");
  });

  test("the key was sent, yet is in no URL, cookie, localStorage or server log; nothing else was asked for", async () => {
    expect(sentKey).toBeGreaterThan(0);
    expect(serverLog.length).toBeGreaterThan(0);
    for (const ctx of contexts) {
      expect(await ctx.cookies()).toEqual([]);
      for (const p of ctx.pages()) expect(await p.evaluate("localStorage.length")).toBe(0);
    }
    const secret = key.slice(4); // the key without its msk_ prefix
    expect(requested.filter((u) => u.includes(secret))).toEqual([]);
    expect(serverLog.filter((l) => l.includes(secret))).toEqual([]);
    // Only this server was asked for anything: no CDN, no fonts, no third-party script.
    expect(requested.filter((u) => !u.startsWith(svc.url + "/"))).toEqual([]);
    // No CSP violation, no script error (the expected 401/403/404 answers log as failed loads).
    expect(pageErrors.filter((e) => !/status of (401|403|404)/.test(e))).toEqual([]);
  });
});

/** A row of the campaigns table as the page must show it. */
function campaignRow({ campaign: c, metrics: m }: CampaignListEntry): string[] {
  return [
    c!.name === c!.id ? c!.name : `${c!.name}${c!.id}`,
    STATUS_LABELS[c!.status]!,
    fmt.date(c!.sentAt, BROWSER_TZ),
    fmt.count(m!.totalSent),
    fmt.count(m!.totalDelivered),
    fmt.count(m!.uniqueOpens),
    fmt.count(m!.uniqueClicks),
    fmt.percent(m!.openRate),
    fmt.percent(m!.clickRate),
    fmt.percent(m!.bounceRate),
    fmt.count(m!.conversions),
    m!.revenue.length ? m!.revenue.map((a) => fmt.money(a.amount, a.currency)).join(" · ") : "—",
  ];
}
const STATUS_LABELS: Partial<Record<CampaignStatus, string>> = {
  [CampaignStatus.SENT]: "Sent",
  [CampaignStatus.CANCELLED]: "Cancelled",
  [CampaignStatus.UNKNOWN]: "Unregistered",
};

function gate(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A GET without fetch's automatic decompression: what goes over the wire. */
function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(svc.url + path, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}
