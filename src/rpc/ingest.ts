import type { ServiceImpl } from "@connectrpc/connect";
import { BounceType, type IngestService } from "../../gen/es/misar/analytics/v1/ingest_service_pb.js";
import { accountOf } from "../auth/context.js";
import { EMAIL_EVENT_KINDS, type EmailEventInput } from "../storage/types.js";
import { campaignView, statusName } from "./campaign-view.js";
import { eventKind } from "./event-kind.js";
import type { HandlerDeps } from "./deps.js";
import { Violations } from "./errors.js";
import { ID_PATTERN, checkEmail, checkLength, checkTimestamp } from "./validate.js";

export const MAX_BATCH = 1000;
/** Registered send times may lie ahead (scheduled campaigns), but not absurdly. */
const MAX_SENT_AT_AHEAD_MS = 366 * 86_400_000;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** IngestService: email events and campaigns from the sending pipeline. */
export function ingestHandlers({ store, now, log }: HandlerDeps): ServiceImpl<typeof IngestService> {
  return {
    async recordEmailEvents(req, ctx) {
      const account = accountOf(ctx);
      const t = now();
      const v = new Violations();
      if (req.events.length === 0) v.add("events", "must contain at least 1 event");
      if (req.events.length > MAX_BATCH) v.add("events", `must contain at most ${MAX_BATCH} events, not ${req.events.length}`);
      v.throwIfAny();
      const events: EmailEventInput[] = [];
      req.events.forEach((ev, i) => {
        const f = (name: string) => `events[${i}].${name}`;
        const before = v.list.length;
        const kind = eventKind(ev.type);
        if (!kind) v.add(f("type"), `must be one of ${EMAIL_EVENT_KINDS.join(", ")}`);
        const email = checkEmail(v, f("contact_email"), ev.contactEmail);
        const ts = checkTimestamp(v, f("timestamp"), ev.timestamp, t, { required: true });
        if (ev.campaignId !== "" && !ID_PATTERN.test(ev.campaignId)) v.add(f("campaign_id"), "must match [A-Za-z0-9_-]{1,64}");
        const bounceGiven = ev.bounceType !== BounceType.UNSPECIFIED;
        if (bounceGiven && ev.bounceType !== BounceType.HARD && ev.bounceType !== BounceType.SOFT) {
          v.add(f("bounce_type"), "must be hard or soft");
        } else if (kind === "bounce" && !bounceGiven) v.add(f("bounce_type"), "is required for bounces (hard or soft)");
        else if (kind !== undefined && kind !== "bounce" && bounceGiven) v.add(f("bounce_type"), "is only allowed on bounce events");
        if (ev.url !== "" && kind !== undefined && kind !== "click") v.add(f("url"), "is only allowed on click events");
        checkLength(v, f("url"), ev.url, 2048);
        checkLength(v, f("user_agent"), ev.userAgent, 512);
        if (checkLength(v, f("id"), ev.id, 128) && CONTROL.test(ev.id)) v.add(f("id"), "must not contain control characters");
        if (v.list.length > before || !kind || !email || !ts) return;
        events.push({
          id: ev.id === "" ? undefined : ev.id,
          kind,
          email,
          timestamp: ts,
          campaignId: ev.campaignId,
          bounceType: kind === "bounce" ? (ev.bounceType === BounceType.HARD ? "hard" : "soft") : undefined,
          url: ev.url || undefined,
          userAgent: ev.userAgent || undefined,
        });
      });
      v.throwIfAny();
      const r = await store.ingest.record(account, events, t);
      log.debug("email events recorded", { account, accepted: r.accepted, duplicates: r.duplicates });
      return r;
    },

    async upsertCampaign(req, ctx) {
      const account = accountOf(ctx);
      const t = now();
      const v = new Violations();
      if (!ID_PATTERN.test(req.id)) v.add("id", "must match [A-Za-z0-9_-]{1,64}");
      const name = req.name.trim();
      checkLength(v, "name", name, 200, true);
      const status = statusName(req.status);
      if (!status) v.add("status", "must be one of draft, scheduled, sending, sent, cancelled");
      let sentAt: Date | undefined;
      if (req.sentAt) {
        sentAt = checkTimestamp(v, "sent_at", req.sentAt, new Date(t.getTime() + MAX_SENT_AT_AHEAD_MS), { required: false });
      }
      const total = req.totalRecipients;
      if (total !== undefined && (total < 0n || total > 1_000_000_000_000n)) {
        v.add("total_recipients", "must be between 0 and 10^12");
      }
      v.throwIfAny();
      const registered = {
        id: req.id,
        name,
        status: status!,
        sentAt,
        totalRecipients: total === undefined ? undefined : Number(total),
      };
      await store.campaigns.upsert(account, registered, t);
      const stats = sentAt ? undefined : await store.rollups.campaign(account, req.id);
      return { campaign: campaignView(req.id, registered, stats?.firstSend) };
    },
  };
}
