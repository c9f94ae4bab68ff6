import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { CampaignStatus, type CampaignSchema } from "../../gen/es/misar/analytics/v1/campaign_pb.js";
import type { CampaignStatusName, RegisteredCampaign } from "../storage/types.js";

const STATUS: Record<CampaignStatusName, CampaignStatus> = {
  draft: CampaignStatus.DRAFT,
  scheduled: CampaignStatus.SCHEDULED,
  sending: CampaignStatus.SENDING,
  sent: CampaignStatus.SENT,
  cancelled: CampaignStatus.CANCELLED,
};

/** Maps the wire status to ours; undefined for UNSPECIFIED and the read-only UNKNOWN. */
export function statusName(s: CampaignStatus): CampaignStatusName | undefined {
  return (Object.keys(STATUS) as CampaignStatusName[]).find((k) => STATUS[k] === s);
}

/**
 * The campaign as clients see it: registered values, or, for a campaign known only from its
 * events, name = id, status UNKNOWN and sent_at = its first send.
 */
export function campaignView(
  id: string,
  registered: RegisteredCampaign | undefined,
  firstSend: Date | undefined,
): MessageInitShape<typeof CampaignSchema> {
  const sentAt = registered?.sentAt ?? firstSend;
  return {
    id,
    name: registered?.name ?? id,
    status: registered ? STATUS[registered.status] : CampaignStatus.UNKNOWN,
    sentAt: sentAt ? timestampFromDate(new Date(Math.floor(sentAt.getTime() / 1000) * 1000)) : undefined,
    totalRecipients: registered?.totalRecipients !== undefined ? BigInt(registered.totalRecipients) : undefined,
  };
}
