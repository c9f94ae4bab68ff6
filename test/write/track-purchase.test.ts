import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TrackService } from "../../gen/es/misar/analytics/v1/track_service_pb.js";
import type { TrackPurchaseResponse } from "../../gen/ts-proto/misar/analytics/v1/track_service.js";
import {
  bearer,
  client,
  connectTransport,
  grpcCall,
  grpcJsClients,
  grpcMetadata,
  rest,
  startService,
  type TestService,
} from "../helpers/service.js";
import { emailEvent } from "./support.js";

const NOW = new Date("2026-04-10T00:00:00Z");

let svc: TestService;
let grpc: ReturnType<typeof grpcJsClients>;
beforeAll(async () => {
  svc = await startService({ now: NOW });
  grpc = grpcJsClients(svc);
});
afterAll(async () => {
  grpc?.track.close();
  await svc?.close();
});

/** The stored purchase documents of an account (there is no public read path for purchases). */
const purchasesOf = (account: string) =>
  svc.store.db.collection("purchases").find({ a: account }).project({ _id: 0, receivedAt: 0 }).toArray();

/** Records one campaign click for the contact over REST. */
async function click(key: string, email: string, campaign: string, timestamp: string) {
  const r = await rest(svc, "POST", "/api/v1/ingest/email-events", {
    key,
    body: { events: [emailEvent({ type: "click", contact_email: email, campaign_id: campaign, timestamp, url: "https://shop.example/x" })] },
  });
  expect(r.body).toEqual({ success: true, accepted: 1, duplicates: 0 });
}

describe("TrackPurchase over REST", () => {
  test("answers {success, event_id, attributed_campaign_id: null, duplicate: false} and stores the purchase", async () => {
    const { account, key } = await svc.newAccount();
    const r = await rest(svc, "POST", "/api/v1/track/purchase", {
      key,
      body: {
        contact_email: "User@Example.com",
        amount: 99.99,
        currency: "USD",
        order_id: "order_12345",
        items: [
          { name: "Pro Plan", quantity: 1, price: 99.99 },
          { name: "Sticker", quantity: 3, price: 0 },
        ],
        timestamp: "2026-04-09T10:00:00Z",
      },
    });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(["success", "event_id", "attributed_campaign_id", "duplicate"]);
    expect(r.body).toEqual({
      success: true,
      event_id: expect.stringMatching(/^evt_[A-Za-z0-9]+$/),
      attributed_campaign_id: null,
      duplicate: false,
    });
    expect(await purchasesOf(account)).toEqual([
      {
        a: account,
        eventId: r.body.event_id,
        e: "user@example.com",
        amount: 99.99,
        currency: "USD",
        orderId: "order_12345",
        items: [
          { name: "Pro Plan", quantity: 1, price: 99.99 },
          { name: "Sticker", quantity: 3, price: 0 },
        ],
        ts: new Date("2026-04-09T10:00:00Z"),
        campaign: null,
      },
    ]);
  });

  test("attributes to the contact's recent click and answers the campaign id as a string", async () => {
    const { account, key } = await svc.newAccount();
    await click(key, "buyer@example.com", "camp_spring", "2026-04-09T08:00:00Z");
    const r = await rest(svc, "POST", "/api/v1/track/purchase", {
      key,
      body: { contact_email: "Buyer@Example.com", amount: 0, currency: "INR" },
    });
    expect(r).toEqual({
      status: 200,
      body: { success: true, event_id: expect.stringMatching(/^evt_/), attributed_campaign_id: "camp_spring", duplicate: false },
    });
    const [doc] = await purchasesOf(account);
    expect(doc).toMatchObject({ amount: 0, currency: "INR", orderId: null, items: [], ts: NOW, campaign: "camp_spring" });
  });

  test("purchases without order_id are never deduplicated", async () => {
    const { account, key } = await svc.newAccount();
    const body = { contact_email: "a@b.io", amount: 5, currency: "EUR" };
    const r1 = await rest(svc, "POST", "/api/v1/track/purchase", { key, body });
    const r2 = await rest(svc, "POST", "/api/v1/track/purchase", { key, body });
    expect(r1.body.duplicate).toBe(false);
    expect(r2.body.duplicate).toBe(false);
    expect(r1.body.event_id).not.toBe(r2.body.event_id);
    expect(await purchasesOf(account)).toHaveLength(2);
  });
});

describe.each([
  { name: "Connect JSON", binary: false },
  { name: "Connect binary", binary: true },
])("TrackPurchase over $name", ({ binary }) => {
  test("answers eventId, attributedCampaignId (unset without a click) and duplicate", async () => {
    const { account, key } = await svc.newAccount();
    const track = client(TrackService, connectTransport(svc, { binary }));
    const none = await track.trackPurchase(
      { contactEmail: "nobody@example.com", amount: 12.5, currency: "GBP", orderId: "o-1", items: [{ name: "Mug", quantity: 2n, price: 6.25 }] },
      bearer(key),
    );
    expect(none.eventId).toMatch(/^evt_[A-Za-z0-9]+$/);
    expect(none.attributedCampaignId).toBeUndefined();
    expect(none.duplicate).toBe(false);

    await click(key, "clicker@example.com", "camp_c", "2026-04-09T23:00:00Z");
    const hit = await track.trackPurchase({ contactEmail: "clicker@example.com", amount: 1, currency: "JPY" }, bearer(key));
    expect(hit.eventId).toMatch(/^evt_/);
    expect(hit.eventId).not.toBe(none.eventId);
    expect(hit.attributedCampaignId).toBe("camp_c");
    expect(hit.duplicate).toBe(false);

    const docs = await purchasesOf(account);
    expect(docs.map((d) => [d.eventId, d.e, d.amount, d.currency, d.campaign]).sort()).toEqual(
      [
        [none.eventId, "nobody@example.com", 12.5, "GBP", null],
        [hit.eventId, "clicker@example.com", 1, "JPY", "camp_c"],
      ].sort(),
    );
    expect(docs.find((d) => d.eventId === none.eventId)?.items).toEqual([{ name: "Mug", quantity: 2, price: 6.25 }]);
  });
});

describe("TrackPurchase over gRPC (grpc-js, ts-proto stubs)", () => {
  test("answers eventId, attributedCampaignId and duplicate", async () => {
    const { account, key } = await svc.newAccount();
    const md = grpcMetadata(key);
    const none: TrackPurchaseResponse = await grpcCall(
      grpc.track.trackPurchase,
      grpc.track,
      { contactEmail: "g@example.com", amount: 42, currency: "USD", orderId: "", items: [{ name: "Book", quantity: 1, price: 42 }], timestamp: new Date("2026-04-09T00:00:00Z") },
      md,
    );
    expect(none).toEqual({ eventId: expect.stringMatching(/^evt_/), attributedCampaignId: undefined, duplicate: false });

    await click(key, "g@example.com", "camp_g", "2026-04-09T00:30:00Z");
    const hit: TrackPurchaseResponse = await grpcCall(
      grpc.track.trackPurchase,
      grpc.track,
      { contactEmail: "g@example.com", amount: 42, currency: "USD", orderId: "g-2", items: [], timestamp: new Date("2026-04-09T01:00:00Z") },
      md,
    );
    expect(hit).toEqual({ eventId: expect.stringMatching(/^evt_/), attributedCampaignId: "camp_g", duplicate: false });
    const docs = await purchasesOf(account);
    expect(docs).toHaveLength(2);
    expect(docs.find((d) => d.eventId === hit.eventId)).toMatchObject({ orderId: "g-2", campaign: "camp_g", ts: new Date("2026-04-09T01:00:00Z") });
  });
});
