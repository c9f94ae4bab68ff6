import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { JsonObject } from "@bufbuild/protobuf";
import { KEY_CACHE_MS, type Scope } from "../../src/storage/api-keys.js";
import { Store } from "../../src/storage/store.js";
import { rest, startService, type TestService } from "../helpers/service.js";
import { Caller, PROTOCOLS, campaignMetrics, emailEvent, expectError, show, storedFor, type Auth, type AnyRpc, type WriteRpc } from "./support.js";

const NOW = new Date("2026-04-10T00:00:00Z");

let svc: TestService;
let caller: Caller;
beforeAll(async () => {
  svc = await startService({ now: NOW });
  caller = new Caller(svc);
});
afterAll(async () => {
  caller?.close();
  await svc?.close();
});

/** A valid request for each RPC, so that only the key can be wrong. */
const VALID: Record<AnyRpc, JsonObject> = {
  trackEvent: { event_name: "trial_started", contact_email: "user@example.com", properties: { plan: "pro" } },
  trackPurchase: { contact_email: "user@example.com", amount: 10, currency: "USD", order_id: "auth_order" },
  recordEmailEvents: { events: [emailEvent({ id: "auth_evt" })] },
  upsertCampaign: { id: "camp_auth", name: "Auth", status: "draft" },
  getOverview: {},
  getCampaignMetrics: { id: "camp_auth" },
  listCampaigns: { page_size: 10 },
  getCampaignLinks: { id: "camp_auth" },
};
const RPCS = Object.keys(VALID) as AnyRpc[];
const WRITES: WriteRpc[] = ["trackEvent", "trackPurchase", "recordEmailEvents", "upsertCampaign"];
const SCOPE_OF: Record<AnyRpc, Scope> = {
  trackEvent: "track",
  trackPurchase: "track",
  recordEmailEvents: "ingest",
  upsertCampaign: "ingest",
  getOverview: "analytics",
  getCampaignMetrics: "analytics",
  listCampaigns: "analytics",
  getCampaignLinks: "analytics",
};

describe("401 / UNAUTHENTICATED on every protocol and RPC", () => {
  const cases: { name: string; auth: () => Promise<{ auth: Auth; account?: string }> }[] = [
    { name: "no key", auth: async () => ({ auth: undefined }) },
    { name: "malformed: Bearer abc", auth: async () => ({ auth: { header: "Bearer abc" } }) },
    { name: "malformed: Basic", auth: async () => ({ auth: { header: "Basic dXNlcjpwYXNz" } }) },
    {
      name: "malformed: a real key without Bearer",
      auth: async () => {
        const a = await svc.newAccount();
        return { auth: { header: a.key }, account: a.account };
      },
    },
    {
      name: "malformed: a real key with trailing junk",
      auth: async () => {
        const a = await svc.newAccount();
        return { auth: { header: `Bearer ${a.key}x` }, account: a.account };
      },
    },
    { name: "unknown well-formed key", auth: async () => ({ auth: { key: "msk_" + "A1b2C3d4".repeat(4) } }) },
    {
      name: "revoked key (by key text)",
      auth: async () => {
        const a = await svc.newAccount();
        expect(await svc.store.keys.revoke(a.key, new Date())).toBe(true);
        return { auth: { key: a.key }, account: a.account };
      },
    },
    {
      name: "revoked key (by key id)",
      auth: async () => {
        const a = await svc.newAccount();
        const [info] = await svc.store.keys.list(a.account);
        expect(await svc.store.keys.revoke(info!.id, new Date())).toBe(true);
        return { auth: { key: a.key }, account: a.account };
      },
    },
  ];

  test.each(cases)("$name", async ({ auth }) => {
    const { auth: a, account } = await auth();
    for (const protocol of PROTOCOLS) {
      for (const rpc of RPCS) {
        const o = await caller.call(protocol, rpc, VALID[rpc], a);
        expectError(o, "unauthenticated", undefined, `${protocol} ${rpc}`);
        if (!o.ok) expect(o.message).not.toMatch(/msk_[A-Za-z0-9_-]{8,}/); // never echo a key
      }
    }
    if (account) expect(await storedFor(svc, account)).toEqual({});
  });

  test("control: the same requests succeed with a live key, so the matrix above tests auth alone", async () => {
    for (const protocol of PROTOCOLS) {
      const { key } = await svc.newAccount();
      for (const rpc of WRITES) {
        const o = await caller.call(protocol, rpc, VALID[rpc], { key });
        expect(o.ok, `${protocol} ${rpc}: ${show(o)}`).toBe(true);
      }
      expect((await caller.call(protocol, "getOverview", {}, { key })).ok).toBe(true);
      expect((await caller.call(protocol, "getCampaignMetrics", { id: "camp_auth" }, { key })).ok).toBe(true);
    }
  });
});

describe("revoking a key in use", () => {
  const overview = (key: string) => rest(svc, "GET", "/api/v1/analytics/overview", { key });
  test("in this process: refused at once", async () => {
    const a = await svc.newAccount();
    expect((await overview(a.key)).status).toBe(200);
    await svc.store.keys.revoke(a.key, new Date());
    expect((await overview(a.key)).status).toBe(401);
  });
  test(`elsewhere (the CLI, another instance): refused within ${KEY_CACHE_MS} ms`, async () => {
    const a = await svc.newAccount();
    expect((await overview(a.key)).status).toBe(200);
    const cli = await Store.open(inject("mongoUri"), svc.store.db.databaseName);
    try {
      await cli.keys.revoke(a.key, new Date());
    } finally {
      await cli.close();
    }
    await new Promise((r) => setTimeout(r, KEY_CACHE_MS + 100));
    expect((await overview(a.key)).status).toBe(401);
  });
});

describe("403 / PERMISSION_DENIED for a key without the scope", () => {
  test.each(["analytics", "track", "ingest"] as Scope[])("a key lacking only %s", async (missing) => {
    const account = `acct_noscope_${missing}`;
    const scopes = (["analytics", "track", "ingest"] as Scope[]).filter((s) => s !== missing);
    const key = await svc.createKey(account, scopes);
    for (const protocol of PROTOCOLS) {
      for (const rpc of RPCS) {
        const o = await caller.call(protocol, rpc, VALID[rpc], { key });
        if (SCOPE_OF[rpc] === missing) {
          expectError(o, "permission_denied", undefined, `${protocol} ${rpc}`);
          if (!o.ok) expect(o.message).toContain(missing);
        } else if (rpc !== "getCampaignMetrics" && rpc !== "getCampaignLinks") {
          expect(o.ok, `${protocol} ${rpc} with scopes ${scopes}: ${show(o)}`).toBe(true);
        }
      }
    }
    // Nothing of the denied writes was stored.
    const stored = await storedFor(svc, account);
    if (missing === "track") {
      expect(await svc.store.db.collection("track_events").countDocuments({ a: account })).toBe(0);
      expect(await svc.store.db.collection("purchases").countDocuments({ a: account })).toBe(0);
    }
    // The purchase, and its counts in the account's day rollups.
    if (missing === "ingest") expect(stored).toEqual({ purchases: 1, track_events: 4, account_day_spans: 5, account_day_hours: 1 });
  });

  test("a key with only one scope can use exactly that service", async () => {
    const key = await svc.createKey("acct_track_only", ["track"]);
    for (const protocol of PROTOCOLS) {
      expect((await caller.call(protocol, "trackEvent", VALID.trackEvent, { key })).ok).toBe(true);
      expectError(await caller.call(protocol, "recordEmailEvents", VALID.recordEmailEvents, { key }), "permission_denied", undefined, protocol);
      expectError(await caller.call(protocol, "getOverview", {}, { key }), "permission_denied", undefined, protocol);
    }
  });
});

describe("every read and write is confined to the key's account", () => {
  let a: { account: string; key: string };
  let b: { account: string; key: string };
  beforeAll(async () => {
    a = await svc.newAccount();
    b = await svc.newAccount();
    const r = await rest(svc, "POST", "/api/v1/ingest/email-events", {
      key: a.key,
      body: {
        events: [
          emailEvent({ id: "shared-1", type: "send", contact_email: "victim@example.com", campaign_id: "camp_secret", timestamp: "2026-04-09T10:00:00Z" }),
          emailEvent({ id: "shared-2", type: "open", contact_email: "victim@example.com", campaign_id: "camp_secret", timestamp: "2026-04-09T10:05:00Z" }),
          emailEvent({ id: "shared-3", type: "click", contact_email: "victim@example.com", campaign_id: "camp_secret", timestamp: "2026-04-09T10:06:00Z" }),
        ],
      },
    });
    expect(r.body).toEqual({ success: true, accepted: 3, duplicates: 0 });
    const u = await rest(svc, "PUT", "/api/v1/campaigns/camp_registered", { key: a.key, body: { name: "A only", status: "sent" } });
    expect(u.status).toBe(200);
  });

  test("account B gets 404 / NOT_FOUND for A's campaigns (event-only and registered) on every protocol", async () => {
    for (const id of ["camp_secret", "camp_registered"]) {
      expect((await campaignMetrics(svc, a.key, id)).status).toBe(200);
      for (const protocol of PROTOCOLS) {
        for (const rpc of ["getCampaignMetrics", "getCampaignLinks"] as const) {
          expectError(await caller.call(protocol, rpc, { id }, { key: b.key }), "not_found", undefined, `${protocol} ${rpc} ${id}`);
        }
        // Nor does B's list show it.
        const list = await caller.call(protocol, "listCampaigns", {}, { key: b.key });
        expect(list.ok && list.body.campaigns.map((c: { campaign: { id: string } }) => c.campaign.id), protocol).not.toContain(id);
      }
      // Same answer as for an id that exists nowhere: nothing reveals A's campaign.
      const foreign = await campaignMetrics(svc, b.key, id);
      const missing = await campaignMetrics(svc, b.key, "camp_nowhere");
      expect(foreign.status).toBe(404);
      expect(foreign.body.error.code).toBe(missing.body.error.code);
      expect(foreign.body.error.message.replace(id, "ID")).toBe(missing.body.error.message.replace("camp_nowhere", "ID"));
    }
  });

  test("B's overview does not include A's events", async () => {
    for (const protocol of PROTOCOLS) {
      const oa = await caller.call(protocol, "getOverview", { period: "7d" }, { key: a.key });
      const ob = await caller.call(protocol, "getOverview", { period: "7d" }, { key: b.key });
      if (!oa.ok || !ob.ok) throw new Error(`${protocol}: ${show([oa, ob])}`);
      // int64 counts: JSON numbers over REST, strings in proto JSON.
      type Counted = { body: { metrics: { sends: number | string; opens: number | string } } };
      const sends = (o: Counted) => Number(o.body.metrics.sends);
      const opens = (o: Counted) => Number(o.body.metrics.opens);
      expect(sends(oa), protocol).toBe(1);
      expect(opens(oa), protocol).toBe(1);
      expect(sends(ob), protocol).toBe(0);
      expect(opens(ob), protocol).toBe(0);
    }
  });

  test("B's purchase by the same contact is not attributed to A's click", async () => {
    for (const protocol of PROTOCOLS) {
      const o = await caller.call(protocol, "trackPurchase", { contact_email: "victim@example.com", amount: 1, currency: "USD" }, { key: b.key });
      if (!o.ok) throw new Error(show(o));
      expect(o.body.attributed_campaign_id ?? o.body.attributedCampaignId ?? null, protocol).toBeNull();
    }
    // Control: A's own purchase is attributed.
    const own = await caller.call("rest", "trackPurchase", { contact_email: "victim@example.com", amount: 1, currency: "USD" }, { key: a.key });
    expect(own.ok && own.body.attributed_campaign_id).toBe("camp_secret");
  });

  test("B reusing A's producer event ids and order ids is not a duplicate, and A's data is unchanged", async () => {
    const r = await rest(svc, "POST", "/api/v1/ingest/email-events", {
      key: b.key,
      body: { events: [emailEvent({ id: "shared-1", campaign_id: "camp_secret", timestamp: "2026-04-09T11:00:00Z" })] },
    });
    expect(r.body).toEqual({ success: true, accepted: 1, duplicates: 0 });
    const pa = await rest(svc, "POST", "/api/v1/track/purchase", { key: a.key, body: { contact_email: "p@example.com", amount: 1, currency: "USD", order_id: "ord-shared" } });
    const pb = await rest(svc, "POST", "/api/v1/track/purchase", { key: b.key, body: { contact_email: "p@example.com", amount: 1, currency: "USD", order_id: "ord-shared" } });
    expect(pa.body.duplicate).toBe(false);
    expect(pb.body.duplicate).toBe(false);
    expect(pb.body.event_id).not.toBe(pa.body.event_id);
    // B registering the same campaign id does not touch A's.
    await rest(svc, "PUT", "/api/v1/campaigns/camp_registered", { key: b.key, body: { name: "B's", status: "draft" } });
    expect((await campaignMetrics(svc, a.key, "camp_registered")).body.campaign).toMatchObject({ name: "A only", status: "sent" });
    expect((await campaignMetrics(svc, b.key, "camp_registered")).body.campaign).toMatchObject({ name: "B's", status: "draft" });
    expect((await campaignMetrics(svc, a.key, "camp_secret")).body.metrics.total_sent).toBe(1);
    expect((await campaignMetrics(svc, b.key, "camp_secret")).body.metrics.total_sent).toBe(1);
  });
});
