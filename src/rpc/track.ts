import { randomBytes } from "node:crypto";
import type { JsonValue } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { TrackService } from "../../gen/es/misar/analytics/v1/track_service_pb.js";
import { accountOf } from "../auth/context.js";
import type { PurchaseOutcome } from "../storage/purchases.js";
import type { HandlerDeps } from "./deps.js";
import { Violations } from "./errors.js";
import { checkEmail, checkLength, checkTimestamp, isCurrency } from "./validate.js";

const EVENT_NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const ATTRIBUTION_WINDOW_MS = 168 * 3_600_000;
const MAX_PROPERTIES_BYTES = 16 * 1024;
const MAX_PROPERTIES_DEPTH = 8;
const MAX_ITEMS = 1000;
const MAX_AMOUNT = 1e15;

/** TrackService: custom events and purchases with last-click attribution. */
export function trackHandlers({ store, now }: HandlerDeps): ServiceImpl<typeof TrackService> {
  return {
    async trackEvent(req, ctx) {
      const account = accountOf(ctx);
      const t = now();
      const v = new Violations();
      if (checkLength(v, "event_name", req.eventName, 64, true) && !EVENT_NAME.test(req.eventName)) {
        v.add("event_name", "must be snake_case: lower-case letters and digits separated by single underscores, starting with a letter");
      }
      const email = checkEmail(v, "contact_email", req.contactEmail);
      if (req.properties !== undefined) {
        const problem = checkJson(req.properties, 1);
        if (problem) v.add("properties", problem);
        else if (Buffer.byteLength(JSON.stringify(req.properties)) > MAX_PROPERTIES_BYTES) {
          v.add("properties", `must be at most ${MAX_PROPERTIES_BYTES} bytes as JSON`);
        }
      }
      const ts = checkTimestamp(v, "timestamp", req.timestamp, t, { required: false }) ?? t;
      v.throwIfAny();
      const eventId = newEventId();
      await store.trackEvents.insert(account, { eventId, name: req.eventName, email: email!, properties: req.properties, timestamp: ts }, t);
      return { eventId };
    },

    async trackPurchase(req, ctx) {
      const account = accountOf(ctx);
      const t = now();
      const v = new Violations();
      const email = checkEmail(v, "contact_email", req.contactEmail);
      if (req.amount === undefined) v.add("amount", "is required");
      else if (!Number.isFinite(req.amount) || req.amount < 0 || req.amount > MAX_AMOUNT) {
        v.add("amount", "must be a finite number from 0 to 10^15");
      }
      const currency = req.currency.trim().toUpperCase();
      if (currency === "") v.add("currency", "is required");
      else if (!isCurrency(currency)) v.add("currency", "must be an ISO 4217 currency code such as USD");
      checkLength(v, "order_id", req.orderId, 128);
      if (req.items.length > MAX_ITEMS) v.add("items", `must have at most ${MAX_ITEMS} items`);
      req.items.forEach((item, i) => {
        const f = (n: string) => `items[${i}].${n}`;
        checkLength(v, f("name"), item.name.trim(), 256, true);
        if (item.quantity < 1n || item.quantity > 1_000_000_000n) v.add(f("quantity"), "must be an integer from 1 to 10^9");
        if (!Number.isFinite(item.price) || item.price < 0 || item.price > MAX_AMOUNT) v.add(f("price"), "must be a finite number from 0 to 10^15");
      });
      const ts = checkTimestamp(v, "timestamp", req.timestamp, t, { required: false }) ?? t;
      v.throwIfAny();
      const orderId = req.orderId === "" ? undefined : req.orderId;
      if (orderId !== undefined) {
        const first = await store.purchases.byOrder(account, orderId);
        if (first) return purchaseResponse(first);
      }
      const attributedCampaignId = await store.clicks.lastClickCampaign(
        account,
        email!,
        new Date(ts.getTime() - ATTRIBUTION_WINDOW_MS),
        ts,
      );
      const outcome = await store.ingest.recordPurchase(
        account,
        {
          eventId: newEventId(),
          email: email!,
          amount: req.amount!,
          currency,
          orderId,
          items: req.items.map((i) => ({ name: i.name.trim(), quantity: Number(i.quantity), price: i.price })),
          timestamp: ts,
          attributedCampaignId,
        },
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

/**
 * Describes why a properties value is unacceptable (too deep, a non-finite number), or undefined.
 * `depth` counts containers (objects and arrays) only: `{"a": 1}` is 1 level deep.
 */
function checkJson(value: JsonValue, depth: number): string | undefined {
  if (typeof value === "number" && !Number.isFinite(value)) return "must not contain NaN or Infinity";
  if (value !== null && typeof value === "object") {
    if (depth > MAX_PROPERTIES_DEPTH) return `must be nested at most ${MAX_PROPERTIES_DEPTH} levels deep`;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      const p = checkJson(child, depth + 1);
      if (p) return p;
    }
  }
  return undefined;
}

