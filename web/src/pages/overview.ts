import type { GetOverviewRequest } from "../../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetOverviewRequestSchema } from "../../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import { analytics } from "../api.js";
import { cards, empty } from "../cards.js";
import { h } from "../dom.js";
import * as fmt from "../format.js";
import { go, href, type Route } from "../router.js";
import type { PageContext } from "./page.js";

type OverviewRoute = Extract<Route, { page: "overview" }>;
const PRESETS = [
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
  { value: "90d", label: "Last 90 days" },
  { value: "custom", label: "Custom range" },
];

/** The request the route's query stands for: a preset period, or a custom from/to (dates). */
export function overviewRequest(q: URLSearchParams): MessageInitShape<typeof GetOverviewRequestSchema> {
  const from = q.get("from") ?? "";
  const to = q.get("to") ?? "";
  if (q.get("period") === "custom" && (from || to)) return { from, to };
  return { period: q.get("period") ?? "30d" };
}

export async function overviewPage({ route, signal }: PageContext<OverviewRoute>): Promise<Node> {
  const req = overviewRequest(route.query);
  const res = await analytics.getOverview(req, { signal });
  const m = res.metrics!;
  const utc = "UTC";
  const range = `${fmt.date(res.period?.from, utc)} – ${fmt.date(res.period?.to, utc)} (UTC)`;
  return h(
    "div",
    { class: "page" },
    h("div", { class: "page-head" }, h("h1", {}, "Overview"), h("p", { class: "sub", "data-field": "period" }, range)),
    controls(route.query, req),
    m.sends === 0n && m.opens === 0n && m.clicks === 0n
      ? empty("No email events in this period yet. Events reported through the ingest API show up here.")
      : null,
    h("h2", {}, "Delivery and engagement"),
    cards("Headline metrics", [
      { field: "sends", label: "Sends", value: fmt.count(m.sends) },
      { field: "delivered", label: "Delivered", value: fmt.count(m.delivered) },
      { field: "unique_opens", label: "Unique opens", value: fmt.count(m.uniqueOpens), note: "messages first opened in the period" },
      { field: "unique_clicks", label: "Unique clicks", value: fmt.count(m.uniqueClicks), note: "messages first clicked in the period" },
      { field: "open_rate", label: "Open rate", value: fmt.percent(m.openRate), note: "opens ÷ sends" },
      { field: "click_rate", label: "Click rate", value: fmt.percent(m.clickRate), note: "clicks ÷ sends" },
      { field: "bounce_rate", label: "Bounce rate", value: fmt.percent(m.bounceRate), note: "bounces ÷ sends" },
      { field: "complaint_rate", label: "Complaint rate", value: fmt.percent(m.complaintRate), note: "complaints ÷ sends" },
    ]),
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

/** Period picker: a preset, or a custom range of dates; applying it moves to the new route. */
function controls(q: URLSearchParams, req: Partial<GetOverviewRequest>): HTMLElement {
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
  const form = h("form", { class: "controls", "aria-label": "Period" }, h("label", { for: "period" }, "Period"), period, custom);
  const apply = () => {
    if (period.value === "custom") go(href("/", { period: "custom", from: from.value, to: to.value }));
    else go(href("/", { period: period.value }));
  };
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
