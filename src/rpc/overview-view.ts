import type { MessageInitShape } from "@bufbuild/protobuf";
import type { OverviewMetricsSchema } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import { rate } from "../metrics/rates.js";
import { revenueOf } from "../storage/money.js";
import type { Counts } from "../storage/types.js";
import { humanView } from "./metrics-view.js";

/** The overview's metrics from counts: one mapping for GetOverview and every time series bucket. */
export function overviewMetrics(c: Counts): MessageInitShape<typeof OverviewMetricsSchema> {
  const big = BigInt;
  return {
    sends: big(c.send),
    delivered: big(c.delivered),
    opens: big(c.open),
    uniqueOpens: big(c.uopen),
    clicks: big(c.click),
    uniqueClicks: big(c.uclick),
    bounces: big(c.bounce),
    hardBounces: big(c.hard),
    softBounces: big(c.soft),
    complaints: big(c.complaint),
    unsubscribes: big(c.unsubscribe),
    openRate: rate(c.open, c.send),
    clickRate: rate(c.click, c.send),
    bounceRate: rate(c.bounce, c.send),
    complaintRate: rate(c.complaint, c.send),
    ...humanView(c, c.send),
    purchases: big(c.purchase),
    conversions: big(c.conversion),
    revenue: revenueOf(c, "rev"),
    attributedRevenue: revenueOf(c, "arev"),
  };
}
