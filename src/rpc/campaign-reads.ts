import type { HandlerContext } from "@connectrpc/connect";
import type {
  GetCampaignLinksRequest,
  ListCampaignsRequest,
} from "../../gen/es/misar/analytics/v1/campaign_reads_pb.js";
import { CampaignStatus } from "../../gen/es/misar/analytics/v1/campaign_pb.js";
import { accountOf } from "../auth/context.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decodeToken, encodeToken } from "../metrics/campaign-page.js";
import { rate } from "../metrics/rates.js";
import { revenueOf } from "../storage/money.js";
import { zeroCounts } from "../storage/types.js";
import { campaignView, statusName } from "./campaign-view.js";
import type { HandlerDeps } from "./deps.js";
import { Violations, notFound } from "./errors.js";
import { humanView } from "./metrics-view.js";

/** GetCampaignLinks lists at most this many urls. */
const MAX_LINKS = 500;

/** ListCampaigns: the page from the account's sorted list (its directory and the chunks the page spans), then each entry's stats by `_id`. */
export function listCampaigns({ store }: HandlerDeps) {
  return async (req: ListCampaignsRequest, ctx: HandlerContext) => {
    const account = accountOf(ctx);
    // page_size and status passed the contract's rules (src/rpc/validation.ts); the token is ours to read.
    const v = new Violations();
    const status = req.status === CampaignStatus.UNSPECIFIED ? undefined : req.status === CampaignStatus.UNKNOWN ? "unknown" : statusName(req.status);
    const after = decodeToken(v, req.pageToken);
    v.throwIfAny();
    // Above the maximum is served at the maximum, as Google's AIP-158 says.
    const size = req.pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(req.pageSize, MAX_PAGE_SIZE);
    const { items, more } = await store.campaignList.page(account, status, after, size);
    const last = items[items.length - 1];
    const next = more && last ? encodeToken([(last.registered?.sentAt ?? last.firstSend)?.getTime() ?? null, last.id]) : "";
    const stats = await Promise.all(items.map((c) => store.rollups.campaignTotals(account, c.id)));
    return {
      campaigns: items.map((c, i) => {
        const n = stats[i]?.counts ?? zeroCounts();
        return {
          campaign: campaignView(c.id, c.registered, c.firstSend),
          metrics: {
            totalSent: BigInt(n.send),
            totalDelivered: BigInt(n.delivered),
            uniqueOpens: BigInt(n.uopen),
            uniqueClicks: BigInt(n.uclick),
            openRate: rate(n.open, n.send),
            clickRate: rate(n.click, n.send),
            bounceRate: rate(n.bounce, n.send),
            conversions: BigInt(n.conversion),
            conversionRate: rate(n.conversion, n.send),
            revenue: revenueOf(n, "rev"),
            ...humanView(n, n.send),
          },
        };
      }),
      nextPageToken: next,
    };
  };
}

/** GetCampaignLinks: the campaign's one links document, sorted here. */
export function campaignLinks({ store }: HandlerDeps) {
  return async (req: GetCampaignLinksRequest, ctx: HandlerContext) => {
    const account = accountOf(ctx);
    const [registered, stats, links] = await Promise.all([
      store.campaigns.get(account, req.id),
      store.rollups.campaignTotals(account, req.id),
      store.links.links(account, req.id),
    ]);
    // Unknown and foreign campaigns read the same: never reveal that an id exists elsewhere.
    if (!registered && !stats) throw notFound(`campaign ${req.id}`);
    // Clicks descending, then url by code point (UTF-8 byte order is code point order).
    links.sort((a, b) => b.clicks - a.clicks || Buffer.compare(Buffer.from(a.url), Buffer.from(b.url)));
    return {
      campaign: campaignView(req.id, registered, stats?.firstSend),
      links: links.slice(0, MAX_LINKS).map((l) => ({ url: l.url, clicks: BigInt(l.clicks), uniqueClicks: BigInt(l.uniqueClicks) })),
      totalLinks: BigInt(links.length),
    };
  };
}
