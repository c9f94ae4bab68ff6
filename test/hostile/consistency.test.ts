// The same hostile request gets the same answer on every protocol: invalid UTF-8 refused naming
// the field (and never collapsing two ids into one), unknown JSON fields refused by REST and
// Connect JSON alike, a bounded list of violations, clear answers to odd dates and keys.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { TestService } from "../helpers/service.js";
import { storedFor } from "../write/support.js";
import { BINARY_PROTOCOLS, callRest, callRpc, startWithAccount } from "./wire.js";
import { TRACK_EVENT, TRACK_PURCHASE, purchaseWithRawOrderId } from "./inputs.js";

let svc: TestService, account: string, key: string;
beforeAll(async () => ({ svc, account, key } = await startWithAccount()));
afterAll(() => svc?.close());

const rawJsonPurchase = (orderIdBytes: number[], key = "order_id") =>
  Buffer.concat([Buffer.from(`{"contact_email":"user@example.com","amount":10,"currency":"USD","${key}":"`), Buffer.from(orderIdBytes), Buffer.from('"}')]);

describe("invalid UTF-8 in a string → 400 naming the field on every protocol; nothing stored", () => {
  const variants = [
    [0x6f, 0x2d, 0xff], // o-\xff
    [0x6f, 0x2d, 0xfe], // o-\xfe: must not become the same id as o-\xff
    [0x6f, 0xc0, 0xaf], // an overlong encoding of "/"
    [0x6f, 0xed, 0xa0, 0x80], // a UTF-8-encoded surrogate
  ];
  test("REST and Connect JSON (raw bytes in the body)", async () => {
    for (const v of variants) {
      const r = await callRest(svc, "POST", "/api/v1/track/purchase", rawJsonPurchase(v), { key });
      expect([r.status, r.code, r.fields], JSON.stringify(v)).toEqual([400, "invalid_argument", ["order_id"]]);
      const c = await callRpc(svc, "connect-json", TRACK_PURCHASE, rawJsonPurchase(v, "orderId"), { key });
      expect([c.status, c.code, c.fields], JSON.stringify(v)).toEqual([400, "invalid_argument", ["order_id"]]);
    }
  });
  test("REST and Connect JSON (an escaped lone surrogate)", async () => {
    const body = '{"contact_email":"user@example.com","amount":10,"currency":"USD","order_id":"o-\\udcff"}';
    expect((await callRest(svc, "POST", "/api/v1/track/purchase", body, { key })).fields).toEqual(["order_id"]);
    expect((await callRpc(svc, "connect-json", TRACK_PURCHASE, body, { key })).fields).toEqual(["order_id"]);
  });
  test("binary protocols", async () => {
    for (const protocol of BINARY_PROTOCOLS) {
      for (const v of variants) {
        const a = await callRpc(svc, protocol, TRACK_PURCHASE, purchaseWithRawOrderId(v), { key });
        expect([a.code, a.fields], `${protocol} ${JSON.stringify(v)}`).toEqual(["invalid_argument", ["order_id"]]);
      }
    }
  });
  test("in properties, keys and values", async () => {
    const body = Buffer.concat([Buffer.from('{"event_name":"e","contact_email":"user@example.com","properties":{"k":"'), Buffer.from([0xff]), Buffer.from('"}}')]);
    expect((await callRest(svc, "POST", "/api/v1/track/event", body, { key })).fields).toEqual(["properties"]);
    const keyed = Buffer.concat([Buffer.from('{"eventName":"e","contactEmail":"user@example.com","properties":{"'), Buffer.from([0xfe]), Buffer.from('":1}}')]);
    expect((await callRpc(svc, "connect-json", TRACK_EVENT, keyed, { key })).fields).toEqual(["properties"]);
  });
  test("in the query string", async () => {
    const r = await callRest(svc, "GET", "/api/v1/analytics/overview?period=%FF", undefined, { key });
    expect([r.status, r.fields]).toEqual([400, ["period"]]);
  });
  test("nothing was stored", async () => {
    expect(await storedFor(svc, account)).toEqual({});
  });
});

describe("unknown JSON fields are refused by REST and Connect JSON alike", () => {
  test("one unknown field, named", async () => {
    const r = await callRest(svc, "POST", "/api/v1/track/purchase", '{"contact_email":"u@example.com","amount":1,"currency":"USD","order_id":"x","bogus":1}', { key });
    expect([r.status, r.fields]).toEqual([400, ["bogus"]]);
    const c = await callRpc(svc, "connect-json", TRACK_PURCHASE, '{"contactEmail":"u@example.com","amount":1,"currency":"USD","orderId":"x","bogus":1}', { key });
    expect([c.status, c.fields]).toEqual([400, ["bogus"]]);
  });
  test("80,000 keys: refused at the 10,000th, one violation", async () => {
    const keys = Array.from({ length: 80_000 }, (_, i) => `"k${i}":1`).join(",");
    for (const [name, a] of [
      ["rest", await callRest(svc, "POST", "/api/v1/track/purchase", `{${keys}}`, { key })],
      ["connect-json", await callRpc(svc, "connect-json", TRACK_PURCHASE, `{${keys}}`, { key })],
    ] as const) {
      expect([a.code, a.fields, a.message], name).toEqual(["invalid_argument", ["body"], "body: has more than 10000 keys"]);
    }
  });
  test("5,000 unknown keys: at most 100 listed, and how many more there were", async () => {
    const keys = Array.from({ length: 5_000 }, (_, i) => `"k${i}":1`).join(",");
    for (const [name, a] of [
      ["rest", await callRest(svc, "POST", "/api/v1/track/purchase", `{${keys}}`, { key })],
      ["connect-json", await callRpc(svc, "connect-json", TRACK_PURCHASE, `{${keys}}`, { key })],
    ] as const) {
      expect(a.code, name).toBe("invalid_argument");
      expect(a.fields.length, name).toBe(100);
      expect(a.message, name).toMatch(/^5000 invalid fields: .*; and 4900 more \(only the first 100 are listed\)$/);
      expect(a.message.length, name).toBeLessThan(10_000);
    }
  });
  test("~1 MiB of [1,1,1,…] events with a key: refused with a bounded answer", async () => {
    const body = `{"events":[${"1,".repeat(500_000)}1]}`;
    const r = await callRest(svc, "POST", "/api/v1/ingest/email-events", body, { key });
    expect([r.status, r.code, r.fields]).toEqual([400, "invalid_argument", ["events"]]);
    const c = await callRpc(svc, "connect-json", "misar.analytics.v1.IngestService/RecordEmailEvents", body, { key });
    expect([c.status, c.code, c.fields]).toEqual([400, "invalid_argument", ["events"]]);
  });
});

describe("odd dates and keys get clear 400s", () => {
  test("from=0000-01-01T00:00:00Z and to=9999-12-31T23:59:59-23:59", async () => {
    for (const [q, field] of [
      ["from=0000-01-01T00:00:00Z&to=2026-01-01", "from"],
      ["from=2026-01-01&to=9999-12-31T23:59:59-23:59", "to"],
    ]) {
      const r = await callRest(svc, "GET", `/api/v1/analytics/overview?${q}`, undefined, { key });
      expect([r.status, r.fields], q).toEqual([400, [field]]);
      expect(r.message, q).not.toMatch(/1900|\+010000/);
      const params = Object.fromEntries(new URLSearchParams(q));
      const c = await callRpc(svc, "connect-json", "misar.analytics.v1.AnalyticsService/GetOverview", JSON.stringify(params), { key });
      expect([c.status, c.fields], q).toEqual([400, [field]]);
    }
  });
  test("?__proto__=x is an unknown parameter", async () => {
    const r = await callRest(svc, "GET", "/api/v1/analytics/overview?__proto__=x", undefined, { key });
    expect([r.status, r.fields]).toEqual([400, ["__proto__"]]);
    expect(r.message).toBe("__proto__: is not a known field");
    const body = await callRest(svc, "POST", "/api/v1/track/purchase", '{"__proto__":{"x":1},"contact_email":"u@example.com","amount":1,"currency":"USD","order_id":"p"}', { key });
    expect([body.status, body.fields]).toEqual([400, ["__proto__"]]);
  });
});
