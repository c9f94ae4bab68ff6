import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { GetCampaignLinksResponse } from "../../../gen/es/misar/analytics/v1/campaign_reads_pb.js";
import { analytics } from "../api.js";
import { cards, empty } from "../cards.js";
import { timeChart } from "../chart.js";
import { h } from "../dom.js";
import * as fmt from "../format.js";
import { moneyCards } from "../money.js";
import { peopleCards } from "../people.js";
import { href, type Route } from "../router.js";
import { statusBadge } from "../status.js";
import { viewTimeZone } from "../timezone.js";
import type { PageContext } from "./page.js";

type CampaignRoute = Extract<Route, { page: "campaign" }>;

export async function campaignPage({ route, signal }: PageContext<CampaignRoute>): Promise<Node> {
  const [res, links] = await Promise.all([
    analytics.getCampaignMetrics({ id: route.id }, { signal }),
    analytics.getCampaignLinks({ id: route.id }, { signal }),
  ]);
  const c = res.campaign!;
  const m = res.metrics!;
  const tz = viewTimeZone(route.query);
  const hourly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: tz });
  return h(
    "div",
    { class: "page" },
    h("p", { class: "crumbs" }, h("a", { href: href("/campaigns", { tz: route.query.get("tz") ?? undefined }) }, "Campaigns"), " / ", h("span", {}, c.id)),
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
      { field: "bounce_rate", label: "Bounce rate", value: fmt.percent(m.bounceRate), note: "bounces ÷ sent" },
      { field: "total_opened", label: "Opens", value: fmt.count(m.totalOpened) },
      { field: "unique_opens", label: "Unique opens", value: fmt.count(m.uniqueOpens), note: "messages opened" },
      { field: "open_rate", label: "Open rate", value: fmt.percent(m.openRate), note: "opens ÷ sent" },
      { field: "total_clicked", label: "Clicks", value: fmt.count(m.totalClicked) },
      { field: "unique_clicks", label: "Unique clicks", value: fmt.count(m.uniqueClicks), note: "messages clicked" },
      { field: "click_rate", label: "Click rate", value: fmt.percent(m.clickRate), note: "clicks ÷ sent" },
    ]),
    h("h2", {}, "People or machines"),
    peopleCards({ ...m, opens: m.totalOpened, clicks: m.totalClicked }, "sent"),
    h("h2", {}, "Conversions and revenue"),
    cards("Conversions and revenue", [
      { field: "conversions", label: "Conversions", value: fmt.count(m.conversions), note: "purchases after a human click (last click, 7 days)" },
      { field: "conversion_rate", label: "Conversion rate", value: fmt.percent(m.conversionRate), note: "conversions ÷ sent" },
      ...moneyCards("revenue", "Revenue", m.revenue, "no attributed purchases yet"),
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
    h("h2", {}, "Links"),
    linksTable(links),
  );
}

/** Clicks per exact url (GetCampaignLinks), most clicked first. */
function linksTable(res: GetCampaignLinksResponse): HTMLElement {
  if (res.links.length === 0) return empty("No clicks yet.");
  const shown = BigInt(res.links.length) < res.totalLinks ? `the ${res.links.length} most clicked of ${fmt.count(res.totalLinks)} links` : `${fmt.count(res.totalLinks)} links`;
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "links" },
      h("caption", { "data-field": "total_links" }, `Clicks per link: ${shown}`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Link"), h("th", { scope: "col", class: "num" }, "Clicks"), h("th", { scope: "col", class: "num" }, "Unique clicks"))),
      h(
        "tbody",
        {},
        res.links.map((l) => h("tr", {}, h("td", { class: "url" }, l.url), h("td", { class: "num" }, fmt.count(l.clicks)), h("td", { class: "num" }, fmt.count(l.uniqueClicks)))),
      ),
    ),
  );
}
