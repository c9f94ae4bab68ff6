/** The few REST response shapes tests look into field by field (the contract: the spec and MISSION.md). */

/** An overview's or a bucket's metrics, as far as tests read them (counts are JSON numbers over REST). */
export interface MetricsJson {
  sends: number;
  opens: number;
  purchases: number;
  revenue: { currency: string; amount: number }[];
}

/** `GET /api/v1/analytics/overview` (also a campaign's metrics block). */
export interface OverviewJson {
  metrics: MetricsJson;
}

/** One entry of `GET /api/v1/analytics/campaigns`. */
export interface ListEntryJson {
  campaign: { id: string; name: string; status: string };
}

/** One bucket of `GET /api/v1/analytics/timeseries`. */
export interface BucketJson {
  metrics: MetricsJson;
}
