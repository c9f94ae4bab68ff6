import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetOverviewRequestSchema, GetTimeSeriesResponse, OverviewMetrics } from "../../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import { analytics } from "../api.js";
import { cards, empty } from "../cards.js";
import { timeChart } from "../chart.js";
import { h } from "../dom.js";
import * as fmt from "../format.js";
import { moneyCards } from "../money.js";
import { peopleCards } from "../people.js";
import { go, href, type Route } from "../router.js";
import { timeZonePicker, viewTimeZone } from "../timezone.js";
import type { PageContext } from "./page.js";

type OverviewRoute = Extract<Route, { page: "overview" }>;
type RangeRequest = Pick<MessageInitShape<typeof GetOverviewRequestSchema>, "period" | "from" | "to" | "timeZone">;

const PRESETS = [
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
  { value: "90d", label: "Last 90 days" },
  { value: "custom", label: "Custom range" },
];

/** The range the route's query stands for: a preset, or custom from/to dates, in its time zone. */
export function rangeRequest(q: URLSearchParams): RangeRequest {
  const timeZone = viewTimeZone(q);
  const from = q.get("from") ?? "";
  const to = q.get("to") ?? "";
  if (q.get("period") === "custom" && (from || to)) return { from, to, timeZone };
  return { period: q.get("period") ?? "30d", timeZone };
}

export async function overviewPage({ route, signal }: PageContext<OverviewRoute>): Promise<Node> {
  const req = rangeRequest(route.query);
  const tz = req.timeZone!;
  const [res, series] = await Promise.all([
    analytics.getOverview(req, { signal }),
    analytics.getTimeSeries({ ...req, interval: "day" }, { signal }),
  ]);
  const m = res.metrics!;
  const range = `${fmt.date(res.period?.from, tz)} – ${fmt.date(res.period?.to, tz)}`;
  return h(
    "div",
    { class: "page" },
    h("div", { class: "page-head" }, h("h1", {}, "Overview"), h("p", { class: "sub", "data-field": "period" }, range)),
    controls(route.query, req),
    m.sends === 0n && m.opens === 0n && m.clicks === 0n
      ? empty("No email events in this period yet. Events reported through the ingest API show up here.")
      : null,
    h("h2", {}, "Delivery and engagement"),
    headline(m),
    h("h2", {}, "People or machines"),
    peopleCards(m, "sends"),
    h("h2", {}, "Conversions and revenue"),
    cards("Conversions and revenue", [
      { field: "purchases", label: "Purchases", value: fmt.count(m.purchases) },
      { field: "conversions", label: "Conversions", value: fmt.count(m.conversions), note: "purchases attributed to a campaign" },
      ...moneyCards("revenue", "Revenue", m.revenue, "no purchases in the period"),
      ...moneyCards("attributed_revenue", "Attributed revenue", m.attributedRevenue, "no purchase attributed to a campaign"),
    ]),
    h("h2", {}, "Daily trend"),
    trend(series, tz),
    h("h2", {}, "All events"),
    cards("Event counts", [
      { field: "opens", label: "Opens", value: fmt.count(m.opens) },
      { field: "clicks", label: "Clicks", value: fmt.count(m.clicks) },
      { field: "bounces", label: "Bounces", value: fmt.count(m.bounces) },
      { field: "hard_bounces", label: "Hard bounces", value: fmt.count(m.hardBounces) },
      { field: "soft_bounces", label: "Soft bounces", value: fmt.count(m.softBounces) },
      { field: "complaints", label: "Complaints", value: fmt.count(m.complaints) },
      { field: "unsubscribes", label: "Unsubscribes", value: fmt.count(m.unsubscribes) },
    ]),
  );
}

function headline(m: OverviewMetrics): HTMLElement {
  return cards("Headline metrics", [
    { field: "sends", label: "Sends", value: fmt.count(m.sends) },
    { field: "delivered", label: "Delivered", value: fmt.count(m.delivered) },
    { field: "unique_opens", label: "Unique opens", value: fmt.count(m.uniqueOpens), note: "messages first opened in the period" },
    { field: "unique_clicks", label: "Unique clicks", value: fmt.count(m.uniqueClicks), note: "messages first clicked in the period" },
    { field: "open_rate", label: "Open rate", value: fmt.percent(m.openRate), note: "opens ÷ sends" },
    { field: "click_rate", label: "Click rate", value: fmt.percent(m.clickRate), note: "clicks ÷ sends" },
    { field: "bounce_rate", label: "Bounce rate", value: fmt.percent(m.bounceRate), note: "bounces ÷ sends" },
    { field: "complaint_rate", label: "Complaint rate", value: fmt.percent(m.complaintRate), note: "complaints ÷ sends" },
  ]);
}

/** Sends, opens and clicks per local day (GetTimeSeries). */
function trend(series: GetTimeSeriesResponse, tz: string): HTMLElement {
  const b = series.buckets;
  if (b.every((x) => x.metrics!.sends === 0n && x.metrics!.opens === 0n && x.metrics!.clicks === 0n)) {
    return empty("No sends, opens or clicks in this period yet.");
  }
  const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: tz });
  const n = (f: (m: OverviewMetrics) => bigint) => b.map((x) => Number(f(x.metrics!)));
  return timeChart({
    title: `Sends, opens and clicks per day (${tz})`,
    times: b.map((x) => Date.parse(x.start) / 1000),
    series: [
      { label: "Sends", values: n((m) => m.sends), color: "green" },
      { label: "Opens", values: n((m) => m.opens), color: "blue" },
      { label: "Clicks", values: n((m) => m.clicks), color: "orange" },
    ],
    timeZone: tz,
    timeLabel: "Day",
    formatTime: (t) => day.format(new Date(t * 1000)),
  });
}

/** Period picker (a preset, or a custom range of dates) and time zone; applying moves to the new route. */
function controls(q: URLSearchParams, req: RangeRequest): HTMLElement {
  const tz = req.timeZone!;
  const period = h(
    "select",
    { id: "period", name: "period" },
    PRESETS.map((p) => h("option", { value: p.value, selected: (q.get("period") ?? "30d") === p.value }, p.label)),
  );
  const from = h("input", { type: "date", id: "from", name: "from", value: req.from ?? "" });
  const to = h("input", { type: "date", id: "to", name: "to", value: req.to ?? "" });
  const custom = h(
    "div",
    { class: "custom", hidden: period.value !== "custom" },
    h("label", { for: "from" }, "From"),
    from,
    h("label", { for: "to" }, "To"),
    to,
    h("button", { type: "submit" }, "Apply"),
  );
  // The zone goes into the route only when it is not the browser's own (the default).
  const apply = (zone = tz) => {
    const keep = zone === fmt.browserTimeZone() ? undefined : zone;
    if (period.value === "custom") go(href("/", { period: "custom", from: from.value, to: to.value, tz: keep }));
    else go(href("/", { period: period.value, tz: keep }));
  };
  const form = h(
    "form",
    { class: "controls", "aria-label": "Period and time zone" },
    h("div", { class: "field" }, h("label", { for: "period" }, "Period"), period),
    custom,
    h("div", { class: "field" }, timeZonePicker(tz, (zone) => apply(zone))),
  );
  period.addEventListener("change", () => {
    custom.hidden = period.value !== "custom";
    if (period.value !== "custom") apply();
    else from.focus();
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    apply();
  });
  return form;
}
