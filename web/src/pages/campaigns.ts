import { CampaignStatus } from "../../../gen/es/misar/analytics/v1/campaign_pb.js";
import type { CampaignListEntry } from "../../../gen/es/misar/analytics/v1/campaign_reads_pb.js";
import { analytics } from "../api.js";
import { empty } from "../cards.js";
import { h } from "../dom.js";
import * as fmt from "../format.js";
import { moneyList } from "../money.js";
import { campaignHref, go, href, type Route } from "../router.js";
import { statusBadge, statusLabel } from "../status.js";
import { viewTimeZone } from "../timezone.js";
import type { PageContext } from "./page.js";

type CampaignsRoute = Extract<Route, { page: "campaigns" }>;

/** Rows per page of the list. */
export const PAGE_SIZE = 25;
const FILTERS = [
  CampaignStatus.DRAFT,
  CampaignStatus.SCHEDULED,
  CampaignStatus.SENDING,
  CampaignStatus.SENT,
  CampaignStatus.CANCELLED,
  CampaignStatus.UNKNOWN,
];
/** The route names a status by its enum name in lower case (`sent`, `unknown`). */
const statusName = (s: CampaignStatus) => CampaignStatus[s].toLowerCase();
const statusOf = (name: string | null) => FILTERS.find((s) => statusName(s) === name) ?? CampaignStatus.UNSPECIFIED;

/**
 * The page before each page token seen in this tab: the API's tokens only go forward, so "Previous"
 * remembers where it came from (a page opened by its link goes back to the first page).
 */
const previous = new Map<string, string>();

export async function campaignsPage({ route, signal }: PageContext<CampaignsRoute>): Promise<Node> {
  const q = route.query;
  const status = statusOf(q.get("status"));
  const page = q.get("page") ?? "";
  const tz = viewTimeZone(q);
  const res = await analytics.listCampaigns({ pageSize: PAGE_SIZE, pageToken: page, status }, { signal });
  const at = (token: string) => href("/campaigns", { status: q.get("status") ?? undefined, page: token || undefined, tz: q.get("tz") ?? undefined });
  if (res.nextPageToken) previous.set(res.nextPageToken, page);
  return h(
    "div",
    { class: "page wide" },
    h("div", { class: "page-head" }, h("h1", {}, "Campaigns"), h("p", { class: "sub" }, "Newest first, all-time metrics")),
    filter(q, status),
    res.campaigns.length === 0
      ? empty(status === CampaignStatus.UNSPECIFIED ? "No campaigns yet: register one, or report its events." : `No campaigns with status “${statusLabel(status)}”.`)
      : h("div", { class: "table-scroll wide" }, table(res.campaigns, tz, q.get("tz") ?? undefined)),
    h(
      "nav",
      { class: "pager", "aria-label": "Pages" },
      page ? h("a", { href: at(previous.get(page) ?? ""), rel: "prev", id: "prev-page" }, "← Previous") : null,
      res.nextPageToken ? h("a", { href: at(res.nextPageToken), rel: "next", id: "next-page" }, "Next →") : null,
    ),
  );
}

function filter(q: URLSearchParams, status: CampaignStatus): HTMLElement {
  const select = h(
    "select",
    { id: "status", name: "status" },
    h("option", { value: "", selected: status === CampaignStatus.UNSPECIFIED }, "All"),
    FILTERS.map((s) => h("option", { value: statusName(s), selected: s === status }, statusLabel(s))),
  );
  select.addEventListener("change", () => go(href("/campaigns", { status: select.value || undefined, tz: q.get("tz") ?? undefined })));
  return h("form", { class: "controls", "aria-label": "Filter" }, h("label", { for: "status" }, "Status"), select);
}

const COLUMNS = ["Campaign", "Status", "Sent on", "Sent", "Delivered", "Unique opens", "Unique clicks", "Open rate", "Click rate", "Bounce rate", "Conversions", "Revenue"];

function table(rows: CampaignListEntry[], tz: string, keepTz: string | undefined): HTMLElement {
  return h(
    "table",
    { class: "campaigns" },
    h("caption", {}, `Campaigns (${rows.length} on this page)`),
    h("thead", {}, h("tr", {}, COLUMNS.map((c, i) => h("th", { scope: "col", class: i >= 3 ? "num" : undefined }, c)))),
    h(
      "tbody",
      {},
      rows.map(({ campaign: c, metrics: m }) =>
        h(
          "tr",
          { "data-id": c!.id },
          h("th", { scope: "row" }, h("a", { href: campaignHref(c!.id, keepTz) }, c!.name), c!.name !== c!.id ? h("span", { class: "id" }, c!.id) : null),
          h("td", {}, statusBadge(c!.status)),
          h("td", {}, fmt.date(c!.sentAt, tz)),
          h("td", { class: "num" }, fmt.count(m!.totalSent)),
          h("td", { class: "num" }, fmt.count(m!.totalDelivered)),
          h("td", { class: "num" }, fmt.count(m!.uniqueOpens)),
          h("td", { class: "num" }, fmt.count(m!.uniqueClicks)),
          h("td", { class: "num" }, fmt.percent(m!.openRate)),
          h("td", { class: "num" }, fmt.percent(m!.clickRate)),
          h("td", { class: "num" }, fmt.percent(m!.bounceRate)),
          h("td", { class: "num" }, fmt.count(m!.conversions)),
          h("td", { class: "num" }, moneyList(m!.revenue)),
        ),
      ),
    ),
  );
}
