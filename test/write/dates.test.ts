// Every timestamp the service accepts lies in 2000-01-01T00:00:00Z .. 2100-12-31T23:59:59Z (the
// contract's buf.validate rules for event times, sent_at and purchase/event times; the period
// rules for an overview's from/to). Outside it: 400 / INVALID_ARGUMENT naming the field, with the
// same message on every protocol, and nothing stored.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { create, toBinary, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { TrackEventRequestSchema } from "../../gen/es/misar/analytics/v1/track_service_pb.js";
import { parseRfc3339 } from "../../src/time.js";
import { TRACK_EVENT } from "../hostile/inputs.js";
import { BINARY_PROTOCOLS, callRest, callRpc } from "../hostile/wire.js";
import { rest, startService, type TestService } from "../helpers/service.js";
import { Caller, PROTOCOLS, emailEvent, expectError, storedFor, type Outcome, type WriteRpc } from "./support.js";

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

const RANGE = "must be at or after 2000-01-01T00:00:00Z and before 2101-01-01T00:00:00Z";
const event = (timestamp: string) => ({ events: [emailEvent({ id: "d1", contact_email: "a@example.com", timestamp })] });
const cases: { rpc: WriteRpc; body: (ts: string) => JsonObject; field: string }[] = [
  { rpc: "recordEmailEvents", body: event, field: "events[0].timestamp" },
  { rpc: "trackEvent", body: (timestamp) => ({ event_name: "e", contact_email: "a@example.com", timestamp }), field: "timestamp" },
  { rpc: "trackPurchase", body: (timestamp) => ({ contact_email: "a@example.com", amount: 1, currency: "USD", timestamp }), field: "timestamp" },
  { rpc: "upsertCampaign", body: (sent_at) => ({ id: "c1", name: "C", status: "sent", sent_at }), field: "sent_at" },
];

describe("timestamps outside 2000..2100 are refused identically on every protocol", () => {
  test.each(cases)("$rpc $field", async ({ rpc, body, field }) => {
    const { account, key } = await svc.newAccount();
    for (const ts of ["1999-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "2101-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]) {
      const messages = new Set<string>();
      for (const protocol of PROTOCOLS) {
        const o: Outcome = await caller.call(protocol, rpc, body(ts), { key });
        expectError(o, "invalid_argument", [field], `${protocol} ${ts}`);
        // grpc-js hands over grpc-message still percent-encoded (`%3A`).
        if (!o.ok) messages.add(decodeURIComponent(o.message));
      }
      expect([...messages], ts).toEqual([`${field}: ${RANGE}`]);
    }
    // The first second of 2000 is accepted.
    const ok = await caller.call("rest", rpc, body("2000-01-01T00:00:00Z"), { key });
    expect(ok.ok, JSON.stringify(ok)).toBe(true);
    expect(Object.keys(await storedFor(svc, account)).length).toBeGreaterThan(0);
  });

  // Beyond what google.protobuf.Timestamp holds: Connect JSON refuses these while decoding, REST
  // and the binary protocols (whose clients cannot even build them from text, hence raw bodies
  // here) by the contract's rule; the words are the same.
  test.each(["0000-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59"])("year 0000 / 10000 (%s): the same words on every protocol", async (ts) => {
    const { key } = await svc.newAccount();
    const json = { event_name: "e", contact_email: "a@example.com", timestamp: ts };
    const binary = toBinary(TrackEventRequestSchema, create(TrackEventRequestSchema, { eventName: "e", contactEmail: "a@example.com", timestamp: timestampFromMs(parseRfc3339(ts)!) }));
    const answers = [
      await callRest(svc, "POST", "/api/v1/track/event", JSON.stringify(json), { key }),
      await callRpc(svc, "connect-json", TRACK_EVENT, JSON.stringify({ eventName: "e", contactEmail: "a@example.com", timestamp: ts }), { key }),
      ...(await Promise.all(BINARY_PROTOCOLS.map((p) => callRpc(svc, p, TRACK_EVENT, binary, { key })))),
    ];
    for (const a of answers) expect([a.code, a.fields, a.message]).toEqual(["invalid_argument", ["timestamp"], `timestamp: ${RANGE}`]);
  });

  test("the server's own limits say which they are: sent_at over 366 days ahead, an event over 1 day ahead", async () => {
    const { key } = await svc.newAccount();
    const campaign = await caller.call("connect-json", "upsertCampaign", { id: "c2", name: "C", status: "scheduled", sent_at: "2028-04-10T00:00:00Z" }, { key });
    expectError(campaign, "invalid_argument", ["sent_at"]);
    expect(!campaign.ok && campaign.message).toBe("sent_at: must not be more than 366 days in the future");
    const ok = await caller.call("rest", "upsertCampaign", { id: "c2", name: "C", status: "scheduled", sent_at: "2027-04-10T00:00:00Z" }, { key });
    expect(ok.ok, JSON.stringify(ok)).toBe(true);
    const ev = await caller.call("rest", "recordEmailEvents", event("2026-04-11T00:00:01Z"), { key });
    expect(!ev.ok && ev.message).toBe("events[0].timestamp: must not be more than 1 day in the future");
  });

  test("an overview's from/to outside 2000..2100 (read as neither 1900 nor year 10000) → 400 naming it", async () => {
    const { key } = await svc.newAccount();
    for (const [q, field] of [
      ["from=0000-01-01T00:00:00Z&to=2026-01-01", "from"],
      ["from=1999-12-31&to=2000-01-02", "from"],
      ["from=2100-06-01&to=9999-12-31T23:59:59-23:59", "to"],
      ["from=2100-12-31&to=2101-01-01", "to"],
    ]) {
      const r = await rest(svc, "GET", `/api/v1/analytics/overview?${q}`, { key });
      expect(r.status, q).toBe(400);
      expect(r.body.error, q).toMatchObject({ code: "invalid_argument", field, message: `${field}: must be from 2000-01-01T00:00:00Z to 2100-12-31T23:59:59Z` });
      const c = await caller.call("connect-json", "getOverview", Object.fromEntries(new URLSearchParams(q)), { key });
      expectError(c, "invalid_argument", [field], `connect-json ${q}`);
    }
    const edge = await rest(svc, "GET", "/api/v1/analytics/overview?from=2100-12-01&to=2100-12-31", { key });
    expect(edge.status).toBe(200);
    expect(edge.body.period).toEqual({ from: "2100-12-01T00:00:00Z", to: "2100-12-31T23:59:59Z" });
  });
});
