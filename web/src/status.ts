import { CampaignStatus } from "../../gen/es/misar/analytics/v1/campaign_pb.js";
import { h } from "./dom.js";

const LABELS: Record<CampaignStatus, string> = {
  [CampaignStatus.UNSPECIFIED]: "—",
  [CampaignStatus.DRAFT]: "Draft",
  [CampaignStatus.SCHEDULED]: "Scheduled",
  [CampaignStatus.SENDING]: "Sending",
  [CampaignStatus.SENT]: "Sent",
  [CampaignStatus.CANCELLED]: "Cancelled",
  [CampaignStatus.UNKNOWN]: "Unregistered",
};

export const statusLabel = (s: CampaignStatus): string => LABELS[s] ?? String(s);

export function statusBadge(s: CampaignStatus): HTMLElement {
  return h("span", { class: `badge badge-${CampaignStatus[s]?.toLowerCase() ?? "unknown"}`, "data-field": "status" }, statusLabel(s));
}
