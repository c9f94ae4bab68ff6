import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { AnalyticsService } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import { accountOf } from "../auth/context.js";
import { bucketsOf, resolveInterval } from "../metrics/buckets.js";
import { overviewCounts, segmentCounts } from "../metrics/overview.js";
import { resolveRange } from "../metrics/period.js";
import { rate } from "../metrics/rates.js";
import { revenueOf } from "../storage/money.js";
import { HOUR_MS, floorHour, zeroCounts } from "../storage/types.js";
import { campaignLinks, listCampaigns } from "./campaign-reads.js";
import { humanView } from "./metrics-view.js";
import { campaignView } from "./campaign-view.js";
import type { HandlerDeps } from "./deps.js";
import { Violations, notFound } from "./errors.js";
import { overviewMetrics } from "./overview-view.js";

/** The timeline never has more entries than this. */
const MAX_TIMELINE = 720;

/** AnalyticsService: overview, time series, campaign metrics, list and links, read from the rollups. */
export function analyticsHandlers(deps: HandlerDeps): ServiceImpl<typeof AnalyticsService> {
  const { store, now } = deps;
  return {
    listCampaigns: listCampaigns(deps),
    getCampaignLinks: campaignLinks(deps),

    async getOverview(req, ctx) {
      const account = accountOf(ctx);
      const v = new Violations();
      const range = resolveRange(v, req, now());
      v.throwIfAny();
      const c = await overviewCounts(store, account, range!);
      return {
        period: { from: timestampFromDate(range!.from), to: timestampFromDate(range!.to) },
        metrics: overviewMetrics(c),
      };
    },

    async getTimeSeries(req, ctx) {
      const account = accountOf(ctx);
      const v = new Violations();
      const interval = resolveInterval(v, req.interval);
      const range = resolveRange(v, req, now());
      const buckets = interval && range ? bucketsOf(v, range, interval) : undefined;
      v.throwIfAny();
      const counts = await segmentCounts(store, account, buckets!.map((b) => [b.from, b.end] as const));
      return {
        period: { from: timestampFromDate(range!.from), to: timestampFromDate(range!.to) },
        interval,
        timeZone: range!.zone,
        buckets: buckets!.map((b, i) => ({ start: b.label, metrics: overviewMetrics(counts[i]!) })),
      };
    },

    async getCampaignMetrics(req, ctx) {
      const account = accountOf(ctx);
      const [registered, stats] = await Promise.all([
        store.campaigns.get(account, req.id),
        store.rollups.campaign(account, req.id),
      ]);
      // Unknown and foreign campaigns read the same: never reveal that an id exists elsewhere.
      if (!registered && !stats) throw notFound(`campaign ${req.id}`);
      const campaign = campaignView(req.id, registered, stats?.firstSend);
      const c = stats?.counts ?? zeroCounts();
      const sent = c.send;
      const sentAt = registered?.sentAt ?? stats?.firstSend;
      return {
        campaign,
        metrics: {
          totalRecipients: BigInt(registered?.totalRecipients ?? sent),
          totalSent: BigInt(sent),
          totalDelivered: BigInt(c.delivered),
          totalOpened: BigInt(c.open),
          totalClicked: BigInt(c.click),
          totalBounced: BigInt(c.bounce),
          totalComplained: BigInt(c.complaint),
          totalUnsubscribed: BigInt(c.unsubscribe),
          openRate: rate(c.open, sent),
          clickRate: rate(c.click, sent),
          bounceRate: rate(c.bounce, sent),
          conversions: BigInt(c.conversion),
          conversionRate: rate(c.conversion, sent),
          revenue: revenueOf(c, "rev"),
          uniqueOpens: BigInt(c.uopen),
          uniqueClicks: BigInt(c.uclick),
          ...humanView(c, sent),
        },
        timeline: timeline(stats?.timeline ?? [], sentAt),
      };
    },
  };
}

/** Zero-filled hourly entries from the hour of `sentAt` to the last hour with engagement. */
function timeline(hours: { hour: Date; opens: number; clicks: number }[], sentAt: Date | undefined) {
  if (hours.length === 0) return [];
  const start = sentAt ? floorHour(sentAt.getTime()) : hours[0]!.hour.getTime();
  const last = hours[hours.length - 1]!.hour.getTime();
  if (last < start) return [];
  const byHour = new Map(hours.map((h) => [h.hour.getTime(), h]));
  const count = Math.min((last - start) / HOUR_MS + 1, MAX_TIMELINE);
  const out = [];
  for (let i = 0; i < count; i++) {
    const t = start + i * HOUR_MS;
    const h = byHour.get(t);
    out.push({ hour: timestampFromDate(new Date(t)), opens: BigInt(h?.opens ?? 0), clicks: BigInt(h?.clicks ?? 0) });
  }
  return out;
}
