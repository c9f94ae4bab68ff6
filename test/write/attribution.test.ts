import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { JsonObject } from "@bufbuild/protobuf";
import { rest, startService, type TestService } from "../helpers/service.js";
import { Caller, PROTOCOLS, emailEvent, show } from "./support.js";

// The service's clock; purchases carry explicit timestamps before it.
const NOW = new Date("2026-04-10T00:00:00Z");
const PURCHASE_AT = Date.parse("2026-04-09T12:00:00Z");
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

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

/** Records email events (REST) for one contact; each [type, campaign, ms]. */
async function events(key: string, email: string, list: [string, string, number][]) {
  const r = await rest(svc, "POST", "/api/v1/ingest/email-events", {
    key,
    body: { events: list.map(([type, campaign_id, ms]) => emailEvent({ type, campaign_id, contact_email: email, timestamp: iso(ms) })) },
  });
  expect(r.body, show(r.body)).toEqual({ success: true, accepted: list.length, duplicates: 0 });
}

/** TrackPurchase over REST at `ms` (or now when undefined): the attributed campaign id (or null). */
async function purchase(key: string, email: string, ms: number | undefined): Promise<string | null> {
  const body: JsonObject = { contact_email: email, amount: 10, currency: "USD" };
  if (ms !== undefined) body.timestamp = iso(ms);
  const r = await rest(svc, "POST", "/api/v1/track/purchase", { key, body });
  expect(r.status, show(r.body)).toBe(200);
  expect(r.body).toHaveProperty("attributed_campaign_id");
  return r.body.attributed_campaign_id;
}

describe("last-click attribution within 7 days (168 h)", () => {
  test("a click 6 days 23 h before the purchase is attributed", async () => {
    const { key } = await svc.newAccount();
    await events(key, "c@example.com", [["click", "camp_in", PURCHASE_AT - (6 * DAY + 23 * HOUR)]]);
    expect(await purchase(key, "c@example.com", PURCHASE_AT)).toBe("camp_in");
  });

  test("a click 7 days 1 minute before the purchase is not (attributed_campaign_id is null)", async () => {
    const { key } = await svc.newAccount();
    await events(key, "c@example.com", [["click", "camp_old", PURCHASE_AT - (7 * DAY + MIN)]]);
    expect(await purchase(key, "c@example.com", PURCHASE_AT)).toBeNull();
  });

  test("the window's edges: exactly 168 h before and exactly at the purchase time both count", async () => {
    const a = await svc.newAccount();
    await events(a.key, "c@example.com", [["click", "camp_edge", PURCHASE_AT - 7 * DAY]]);
    expect(await purchase(a.key, "c@example.com", PURCHASE_AT)).toBe("camp_edge");
    const b = await svc.newAccount();
    await events(b.key, "c@example.com", [["click", "camp_same", PURCHASE_AT]]);
    expect(await purchase(b.key, "c@example.com", PURCHASE_AT)).toBe("camp_same");
  });

  test("the most recent of two campaigns' clicks wins, whatever order they were recorded in", async () => {
    const a = await svc.newAccount();
    await events(a.key, "c@example.com", [["click", "camp_older", PURCHASE_AT - 3 * DAY]]);
    await events(a.key, "c@example.com", [["click", "camp_newer", PURCHASE_AT - 1 * DAY]]);
    expect(await purchase(a.key, "c@example.com", PURCHASE_AT)).toBe("camp_newer");

    const b = await svc.newAccount();
    await events(b.key, "c@example.com", [
      ["click", "camp_newer", PURCHASE_AT - 2 * HOUR],
      ["click", "camp_older", PURCHASE_AT - 5 * DAY],
    ]);
    await events(b.key, "c@example.com", [["click", "camp_oldest", PURCHASE_AT - 6 * DAY]]);
    expect(await purchase(b.key, "c@example.com", PURCHASE_AT)).toBe("camp_newer");
  });

  test("a click after the purchase time does not count", async () => {
    const a = await svc.newAccount();
    await events(a.key, "c@example.com", [["click", "camp_later", PURCHASE_AT + MIN]]);
    expect(await purchase(a.key, "c@example.com", PURCHASE_AT)).toBeNull();

    // ... nor does it displace an earlier click that does.
    const b = await svc.newAccount();
    await events(b.key, "c@example.com", [
      ["click", "camp_before", PURCHASE_AT - 2 * DAY],
      ["click", "camp_after", PURCHASE_AT + 1 * HOUR],
    ]);
    expect(await purchase(b.key, "c@example.com", PURCHASE_AT)).toBe("camp_before");
  });

  test("another account's click never counts", async () => {
    const a = await svc.newAccount();
    const b = await svc.newAccount();
    await events(a.key, "shared@example.com", [["click", "camp_a", PURCHASE_AT - HOUR]]);
    for (const protocol of PROTOCOLS) {
      const o = await caller.call(protocol, "trackPurchase", { contact_email: "shared@example.com", amount: 1, currency: "USD", timestamp: iso(PURCHASE_AT) }, { key: b.key });
      if (!o.ok) throw new Error(show(o));
      expect(o.body.attributed_campaign_id ?? o.body.attributedCampaignId ?? null, protocol).toBeNull();
    }
    // B's own older click is the one that counts for B.
    await events(b.key, "shared@example.com", [["click", "camp_b", PURCHASE_AT - 3 * DAY]]);
    expect(await purchase(b.key, "shared@example.com", PURCHASE_AT)).toBe("camp_b");
    expect(await purchase(a.key, "shared@example.com", PURCHASE_AT)).toBe("camp_a");
  });

  test("only clicks count: opens, sends and transactional (campaign-less) clicks do not", async () => {
    const { key } = await svc.newAccount();
    await events(key, "c@example.com", [
      ["send", "camp_send", PURCHASE_AT - 3 * HOUR],
      ["open", "camp_open", PURCHASE_AT - 2 * HOUR],
      ["click", "", PURCHASE_AT - 1 * HOUR],
    ]);
    expect(await purchase(key, "c@example.com", PURCHASE_AT)).toBeNull();
    await events(key, "c@example.com", [["click", "camp_click", PURCHASE_AT - 4 * HOUR]]);
    expect(await purchase(key, "c@example.com", PURCHASE_AT)).toBe("camp_click");
  });

  test("another contact's click does not count; contact emails match case-insensitively", async () => {
    const { key } = await svc.newAccount();
    await events(key, "Someone.Else@Example.com", [["click", "camp_other", PURCHASE_AT - HOUR]]);
    expect(await purchase(key, "buyer@example.com", PURCHASE_AT)).toBeNull();
    expect(await purchase(key, "SOMEONE.ELSE@example.COM", PURCHASE_AT)).toBe("camp_other");
  });

  test("without a timestamp the purchase happens at the server's now", async () => {
    const { key } = await svc.newAccount();
    await events(key, "c@example.com", [["click", "camp_recent", NOW.getTime() - 6 * DAY]]);
    await events(key, "d@example.com", [["click", "camp_stale", NOW.getTime() - 8 * DAY]]);
    expect(await purchase(key, "c@example.com", undefined)).toBe("camp_recent");
    expect(await purchase(key, "d@example.com", undefined)).toBeNull();
  });

  test("every protocol answers the same attribution", async () => {
    const { key } = await svc.newAccount();
    await events(key, "p@example.com", [
      ["click", "camp_x", PURCHASE_AT - 6 * DAY - 23 * HOUR],
      ["click", "camp_gone", PURCHASE_AT - 7 * DAY - MIN],
    ]);
    for (const protocol of PROTOCOLS) {
      for (const [at, want] of [
        [PURCHASE_AT, "camp_x"],
        [PURCHASE_AT - 2 * HOUR, "camp_x"],
        [PURCHASE_AT - 6 * DAY - 23 * HOUR - MIN, "camp_gone"],
        [PURCHASE_AT - 8 * DAY, null],
      ] as [number, string | null][]) {
        const o = await caller.call(protocol, "trackPurchase", { contact_email: "p@example.com", amount: 1, currency: "USD", timestamp: iso(at) }, { key });
        if (!o.ok) throw new Error(show(o));
        expect(o.body.attributed_campaign_id ?? o.body.attributedCampaignId ?? null, `${protocol} at ${iso(at)}`).toBe(want);
      }
    }
  });
});
