import { timestampMs } from "@bufbuild/protobuf/wkt";
import { analytics } from "../api.js";
import { cards, empty } from "../cards.js";
import { timeChart } from "../chart.js";
import { h } from "../dom.js";
import * as fmt from "../format.js";
import { href, type Route } from "../router.js";
import { statusBadge } from "../status.js";
import { viewTimeZone } from "../timezone.js";
import type { PageContext } from "./page.js";

type CampaignRoute = Extract<Route, { page: "campaign" }>;

export async function campaignPage({ route, signal }: PageContext<CampaignRoute>): Promise<Node> {
  const res = await analytics.getCampaignMetrics({ id: route.id }, { signal });
  const c = res.campaign!;
  const m = res.metrics!;
  const tz = viewTimeZone(route.query);
  const hourly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: tz });
  return h(
    "div",
    { class: "page" },
    h("p", { class: "crumbs" }, h("a", { href: href("/", { tz: route.query.get("tz") ?? undefined }) }, "Overview"), " / ", h("span", {}, c.id)),
    h(
      "div",
      { class: "page-head" },
      h("h1", { "data-field": "name" }, c.name),
      h("p", { class: "sub" }, statusBadge(c.status), " Sending started ", h("span", { "data-field": "sent_at" }, fmt.dateTime(c.sentAt, tz))),
    ),
    h("h2", {}, "All-time metrics"),
    cards("Campaign metrics", [
      { field: "total_recipients", label: "Recipients", value: fmt.count(m.totalRecipients) },
      { field: "total_sent", label: "Sent", value: fmt.count(m.totalSent) },
      { field: "total_delivered", label: "Delivered", value: fmt.count(m.totalDelivered) },
      { field: "open_rate", label: "Open rate", value: fmt.percent(m.openRate), note: "opens ÷ sent" },
      { field: "total_opened", label: "Opens", value: fmt.count(m.totalOpened) },
      { field: "total_clicked", label: "Clicks", value: fmt.count(m.totalClicked) },
      { field: "click_rate", label: "Click rate", value: fmt.percent(m.clickRate), note: "clicks ÷ sent" },
      { field: "bounce_rate", label: "Bounce rate", value: fmt.percent(m.bounceRate), note: "bounces ÷ sent" },
    ]),
    h("h2", {}, "Bounces, complaints and unsubscribes"),
    cards("Problem counts", [
      { field: "total_bounced", label: "Bounces", value: fmt.count(m.totalBounced) },
      { field: "total_complained", label: "Complaints", value: fmt.count(m.totalComplained) },
      { field: "total_unsubscribed", label: "Unsubscribes", value: fmt.count(m.totalUnsubscribed) },
    ]),
    h("h2", {}, "Opens and clicks per hour"),
    res.timeline.length === 0
      ? empty("No opens or clicks yet.")
      : timeChart({
          title: `Opens and clicks per hour (${tz})`,
          times: res.timeline.map((e) => timestampMs(e.hour!) / 1000),
          series: [
            { label: "Opens", values: res.timeline.map((e) => Number(e.opens)), color: "blue" },
            { label: "Clicks", values: res.timeline.map((e) => Number(e.clicks)), color: "orange" },
          ],
          timeZone: tz,
          timeLabel: "Hour",
          formatTime: (t) => hourly.format(new Date(t * 1000)),
        }),
  );
}
