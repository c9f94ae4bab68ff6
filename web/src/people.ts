import type { OverviewMetrics } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import { cards } from "./cards.js";
import * as fmt from "./format.js";

/** The people/machines fields, as the overview's metrics name them (a campaign's have the same names). */
export type HumanSplit = Pick<
  OverviewMetrics,
  "opens" | "clicks" | "humanOpens" | "uniqueHumanOpens" | "humanClicks" | "uniqueHumanClicks" | "humanOpenRate" | "humanClickRate"
>;

/**
 * Opens and clicks by people and by machines (Apple Mail Privacy Protection prefetches, link
 * scanners: events the producer flagged `machine`). Machine counts are all events minus human ones.
 */
export function peopleCards(s: HumanSplit, sends: string): HTMLElement {
  return cards("People or machines", [
    { field: "human_opens", label: "Human opens", value: fmt.count(s.humanOpens) },
    { field: "machine_opens", label: "Machine opens", value: fmt.count(s.opens - s.humanOpens), note: "privacy proxies, prefetch" },
    { field: "unique_human_opens", label: "Unique human opens", value: fmt.count(s.uniqueHumanOpens) },
    { field: "human_open_rate", label: "Human open rate", value: fmt.percent(s.humanOpenRate), note: `human opens ÷ ${sends}` },
    { field: "human_clicks", label: "Human clicks", value: fmt.count(s.humanClicks) },
    { field: "machine_clicks", label: "Machine clicks", value: fmt.count(s.clicks - s.humanClicks), note: "link scanners" },
    { field: "unique_human_clicks", label: "Unique human clicks", value: fmt.count(s.uniqueHumanClicks) },
    { field: "human_click_rate", label: "Human click rate", value: fmt.percent(s.humanClickRate), note: `human clicks ÷ ${sends}` },
  ]);
}
