import { randomBytes } from "node:crypto";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { TrackService } from "../../gen/es/misar/analytics/v1/track_service_pb.js";
import { accountOf } from "../auth/context.js";
import type { PurchaseOutcome } from "../storage/purchases.js";
import type { HandlerDeps } from "./deps.js";

const ATTRIBUTION_WINDOW_MS = 168 * 3_600_000;

/** TrackService: custom events and purchases with last-click attribution. */
export function trackHandlers({ store, now }: HandlerDeps): ServiceImpl<typeof TrackService> {
  return {
    async trackEvent(req, ctx) {
      const account = accountOf(ctx);
      const t = now();
      // Every rule has passed (src/rpc/validation.ts): the values are valid, only normalised here.
      const ts = req.timestamp ? timestampDate(req.timestamp) : t;
      const email = req.contactEmail.toLowerCase();
      const eventId = newEventId();
      await store.trackEvents.insert(account, { eventId, name: req.eventName, email, properties: req.properties, timestamp: ts }, t);
      return { eventId };
    },

    async trackPurchase(req, ctx) {
      const account = accountOf(ctx);
      const t = now();
      // Every rule has passed (src/rpc/validation.ts): the values are valid, only normalised here.
      const currency = req.currency.toUpperCase();
      const ts = req.timestamp ? timestampDate(req.timestamp) : t;
      const email = req.contactEmail.toLowerCase();
      const orderId = req.orderId === "" ? undefined : req.orderId;
      if (orderId !== undefined) {
        const first = await store.purchases.byOrder(account, orderId);
        if (first) {
          // A repeat is answered once the first is counted (it may have been cut short uncounted).
          await store.ingest.whenCounted(account);
          return purchaseResponse(first);
        }
      }
      const outcome = await store.ingest.recordPurchase(
        account,
        {
          eventId: newEventId(),
          email,
          amount: req.amount!,
          currency,
          orderId,
          items: req.items.map((i) => ({ name: i.name.trim(), quantity: Number(i.quantity), price: i.price })),
          timestamp: ts,
        },
        () => store.clicks.lastClickCampaign(account, email, new Date(ts.getTime() - ATTRIBUTION_WINDOW_MS), ts),
        t,
      );
      return purchaseResponse(outcome);
    },
  };
}

function purchaseResponse(o: PurchaseOutcome) {
  return { eventId: o.eventId, attributedCampaignId: o.attributedCampaignId ?? undefined, duplicate: o.duplicate };
}

function newEventId(): string {
  return `evt_${randomBytes(12).toString("hex")}`;
}
