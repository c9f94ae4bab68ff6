import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TrackService } from "../../gen/es/misar/analytics/v1/track_service_pb.js";
import type { TrackEventResponse } from "../../gen/ts-proto/misar/analytics/v1/track_service.js";
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

const NOW = new Date("2026-04-10T00:00:00Z");

/** Keys that must never reach MongoDB as operators or dotted paths, and values of every JSON kind. */
const HOSTILE_PROPERTIES = {
  plan: "pro",
  $set: { plan: "free", "x.y": 1 },
  "a.b": "dotted",
  $where: "sleep(1000)",
  nested: { $inc: { count: 1 }, "deep.er": { $gt: "" } },
  list: [1, "two", null, true, { $ne: null, "k.k": [] }],
  n: 1.5,
  neg: -42,
  flag: false,
  nothing: null,
  empty: {},
  unicode: "héllo ✓ 日本",
};

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

describe("TrackEvent over REST", () => {
  test("answers {success, event_id} and stores name, lower-cased email, properties and timestamp exactly", async () => {
    const { account, key } = await svc.newAccount();
    const r = await rest(svc, "POST", "/api/v1/track/event", {
      key,
      body: {
        event_name: "trial_started",
        contact_email: "User.Name@Example.COM",
        properties: HOSTILE_PROPERTIES,
        timestamp: "2026-04-09T12:34:56Z",
      },
    });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(["success", "event_id"]);
    expect(r.body.success).toBe(true);
    expect(r.body.event_id).toMatch(/^evt_[A-Za-z0-9]+$/);

    const stored = await svc.store.trackEvents.get(account, r.body.event_id);
    expect(stored).toEqual({
      account,
      eventId: r.body.event_id,
      name: "trial_started",
      email: "user.name@example.com",
      properties: HOSTILE_PROPERTIES,
      timestamp: new Date("2026-04-09T12:34:56Z"),
    });
  });

  test("timestamp defaults to now and properties may be omitted", async () => {
    const { account, key } = await svc.newAccount();
    const r = await rest(svc, "POST", "/api/v1/track/event", {
      key,
      body: { event_name: "page_view2", contact_email: "a@b.io" },
    });
    expect(r.status).toBe(200);
    const stored = await svc.store.trackEvents.get(account, r.body.event_id);
    expect(stored?.timestamp).toEqual(NOW);
    expect(stored?.properties).toBeUndefined();
    expect(stored?.name).toBe("page_view2");
  });

  test("a timestamp with an offset is stored as the same instant; exactly one day ahead is still accepted", async () => {
    const { account, key } = await svc.newAccount();
    const r1 = await rest(svc, "POST", "/api/v1/track/event", {
      key,
      body: { event_name: "x", contact_email: "a@b.io", timestamp: "2026-04-09T14:00:00+02:00" },
    });
    expect(r1.status).toBe(200);
    expect((await svc.store.trackEvents.get(account, r1.body.event_id))?.timestamp).toEqual(new Date("2026-04-09T12:00:00Z"));
    const r2 = await rest(svc, "POST", "/api/v1/track/event", {
      key,
      body: { event_name: "x", contact_email: "a@b.io", timestamp: "2026-04-11T00:00:00Z" },
    });
    expect(r2.status).toBe(200);
  });

  test("every call gets a new event id, and an event is invisible to other accounts", async () => {
    const a = await svc.newAccount();
    const b = await svc.newAccount();
    const body = { event_name: "clicked_cta", contact_email: "u@example.com" };
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await rest(svc, "POST", "/api/v1/track/event", { key: a.key, body });
      expect(r.status).toBe(200);
      ids.add(r.body.event_id);
    }
    expect(ids.size).toBe(3);
    for (const id of ids) {
      expect(await svc.store.trackEvents.get(a.account, id)).toBeDefined();
      expect(await svc.store.trackEvents.get(b.account, id)).toBeUndefined();
    }
  });
});

describe.each([
  { name: "Connect JSON", binary: false, http2: false },
  { name: "Connect binary", binary: true, http2: false },
  { name: "Connect binary over HTTP/2", binary: true, http2: true },
])("TrackEvent over $name", ({ binary, http2 }) => {
  test("answers event_id and round-trips $-keys and dotted keys exactly", async () => {
    const { account, key } = await svc.newAccount();
    const track = client(TrackService, connectTransport(svc, { binary, http2 }));
    const res = await track.trackEvent(
      {
        eventName: "plan_upgraded",
        contactEmail: "Buyer@Example.com",
        properties: HOSTILE_PROPERTIES,
        timestamp: { seconds: BigInt(Date.parse("2026-04-08T00:00:00Z") / 1000), nanos: 0 },
      },
      bearer(key),
    );
    expect(res.$typeName).toBe("misar.analytics.v1.TrackEventResponse");
    expect(res.eventId).toMatch(/^evt_[A-Za-z0-9]+$/);
    expect(await svc.store.trackEvents.get(account, res.eventId)).toEqual({
      account,
      eventId: res.eventId,
      name: "plan_upgraded",
      email: "buyer@example.com",
      properties: HOSTILE_PROPERTIES,
      timestamp: new Date("2026-04-08T00:00:00Z"),
    });
  });
});

describe("TrackEvent over gRPC (grpc-js, ts-proto stubs)", () => {
  test("answers event_id and round-trips $-keys and dotted keys exactly", async () => {
    const { account, key } = await svc.newAccount();
    const res: TrackEventResponse = await grpcCall(
      grpc.track.trackEvent,
      grpc.track,
      {
        eventName: "trial_started",
        contactEmail: "GRPC@example.org",
        properties: HOSTILE_PROPERTIES,
        timestamp: new Date("2026-04-09T23:59:59Z"),
      },
      grpcMetadata(key),
    );
    expect(res).toEqual({ eventId: expect.stringMatching(/^evt_[A-Za-z0-9]+$/) });
    expect(await svc.store.trackEvents.get(account, res.eventId)).toEqual({
      account,
      eventId: res.eventId,
      name: "trial_started",
      email: "grpc@example.org",
      properties: HOSTILE_PROPERTIES,
      timestamp: new Date("2026-04-09T23:59:59Z"),
    });
  });

  test("without a timestamp the event is stamped with the server's now", async () => {
    const { account, key } = await svc.newAccount();
    const res: TrackEventResponse = await grpcCall(grpc.track.trackEvent, grpc.track, { eventName: "a1", contactEmail: "x@y.zz" }, grpcMetadata(key));
    const stored = await svc.store.trackEvents.get(account, res.eventId);
    expect(stored?.timestamp).toEqual(NOW);
  });
});
