// The contract's rules answer in our words on every protocol: the field, then what it must be,
// never the value sent (src/rpc/validation.ts rewords protovalidate's messages).
import { afterAll, beforeAll, expect, test } from "vitest";
import type { JsonObject } from "@bufbuild/protobuf";
import { startService, type TestService } from "../helpers/service.js";
import { Caller, PROTOCOLS, emailEvent, type AnyRpc } from "./support.js";

let svc: TestService;
let caller: Caller;
beforeAll(async () => {
  svc = await startService({ now: new Date("2026-04-10T00:00:00Z") });
  caller = new Caller(svc);
});
afterAll(async () => {
  caller?.close();
  await svc?.close();
});

const CASES: [AnyRpc, JsonObject, string][] = [
  ["getOverview", { period: "14d" }, "period: must be one of 7d, 30d, 90d"],
  ["getCampaignMetrics", { id: "bad id" }, "id: must match ^[A-Za-z0-9_-]{1,64}$"],
  ["upsertCampaign", { id: "c1", name: "C" }, "status: must be one of draft, scheduled, sending, sent, cancelled"],
  ["upsertCampaign", { id: "c1", name: "  ", status: "sent" }, "name: must not be blank"],
  ["recordEmailEvents", { events: [{ ...emailEvent({ contact_email: "a@x.test" }), type: null }] }, "events[0].type: must be one of send, delivered, open, click, bounce, complaint, unsubscribe"],
  ["recordEmailEvents", { events: [emailEvent({ type: "bounce", contact_email: "a@x.test" })] }, "events[0].bounce_type: is required for bounces (hard or soft)"],
  ["recordEmailEvents", { events: [] }, "events: must contain at least 1 item(s)"],
  ["trackEvent", { event_name: "e".repeat(65), contact_email: "a@x.test" }, "event_name: must be at most 64 characters"],
  ["trackPurchase", { contact_email: "leak.me@@example.com", amount: 1, currency: "USD" }, "contact_email: must be a valid email address"],
  ["trackPurchase", { contact_email: "a@x.test", currency: "USD" }, "amount: is required"],
];

test.each(CASES)("%s %j → %s", async (rpc, body, message) => {
  const { key } = await svc.newAccount();
  for (const protocol of PROTOCOLS) {
    const o = await caller.call(protocol, rpc, body, { key });
    expect(o.ok, protocol).toBe(false);
    // grpc-js hands over grpc-message still percent-encoded.
    if (!o.ok) expect(decodeURIComponent(o.message), protocol).toBe(message);
  }
});
