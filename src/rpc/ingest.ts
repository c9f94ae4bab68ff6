import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { BounceType, type IngestService } from "../../gen/es/misar/analytics/v1/ingest_service_pb.js";
import { accountOf } from "../auth/context.js";
import type { EmailEventInput } from "../storage/types.js";
import { campaignView, statusName } from "./campaign-view.js";
import { eventKind } from "./event-kind.js";
import type { HandlerDeps } from "./deps.js";

/** IngestService: email events and campaigns from the sending pipeline. */
export function ingestHandlers({ store, now, log }: HandlerDeps): ServiceImpl<typeof IngestService> {
  return {
    async recordEmailEvents(req, ctx) {
      const account = accountOf(ctx);
      const t = now();
      // Every rule has passed (src/rpc/validation.ts): each event has a known type, a valid
      // address, a timestamp in range and a bounce type exactly on bounces.
      const events: EmailEventInput[] = req.events.map((ev) => {
        const kind = eventKind(ev.type)!;
        return {
          id: ev.id === "" ? undefined : ev.id,
          kind,
          email: ev.contactEmail.toLowerCase(),
          timestamp: timestampDate(ev.timestamp!),
          campaignId: ev.campaignId,
          bounceType: kind === "bounce" ? (ev.bounceType === BounceType.HARD ? "hard" : "soft") : undefined,
          url: ev.url || undefined,
          userAgent: ev.userAgent || undefined,
          machine: ev.machine || undefined,
        };
      });
      const r = await store.ingest.record(account, events, t);
      log.debug("email events recorded", { account, accepted: r.accepted, duplicates: r.duplicates });
      return r;
    },

    async upsertCampaign(req, ctx) {
      const account = accountOf(ctx);
      const t = now();
      const name = req.name.trim();
      const status = statusName(req.status)!;
      const sentAt = req.sentAt ? timestampDate(req.sentAt) : undefined;
      const total = req.totalRecipients;
      const registered = {
        id: req.id,
        name,
        status,
        sentAt,
        totalRecipients: total === undefined ? undefined : Number(total),
      };
      // `campaigns` and the account's list, journaled: a crash between them is repaired.
      await store.ingest.registerCampaign(account, registered, t);
      const stats = sentAt ? undefined : await store.rollups.campaignTotals(account, req.id);
      return { campaign: campaignView(req.id, registered, stats?.firstSend) };
    },
  };
}
