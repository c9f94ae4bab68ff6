// Period presets, from/to parsing, inclusive bounds to the second, 400s, and ranges that are not
// on the hour (whole hours from the rollups plus partial edge hours from raw events).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { AnalyticsService } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import type * as tp from "../../gen/ts-proto/misar/analytics/v1/analytics_service.js";
import { bearer, client, connectTransport, grpcCall, grpcJsClients, grpcMetadata, grpcTransport, rest, startService, type TestService } from "../helpers/service.js";
import { at, isoSec, overviewPath, postAll, refOverview, type Ev } from "./lib.js";

let svc: TestService;
let key: string;
const events: Ev[] = [];

const ov = (q: string) => rest(svc, "GET", `/api/v1/analytics/overview${q}`, { key });

beforeAll(async () => {
  svc = await startService({ now: new Date("2026-04-06T12:00:00Z") });
  key = (await svc.newAccount()).key;
  let n = 0;
  const add = (type: Ev["type"], t: string | number, contact: string, extra: Partial<Ev> = {}) =>
    events.push({ id: `p${n++}`, type, contact_email: contact, campaign_id: "cmp", ms: typeof t === "number" ? t : at(t), ...extra });
  // Around 2026-04-01 09:17:05 .. 11:42:59 (and the same second marks at hour edges).
  const marks = [
    "2026-04-01T09:17:04Z", "2026-04-01T09:17:05Z", "2026-04-01T09:59:59Z", "2026-04-01T10:00:00Z", "2026-04-01T10:30:00Z",
    "2026-04-01T10:59:59.999Z", "2026-04-01T11:00:00Z", "2026-04-01T11:42:59Z", "2026-04-01T11:42:59.999Z", "2026-04-01T11:43:00Z",
    "2026-04-01T11:59:59Z", "2026-04-01T12:00:00Z",
  ];
  marks.forEach((m, i) => {
    add("send", m, `s${i}@x.io`);
    add("delivered", m, `s${i}@x.io`);
    add("open", m, `o${i}@x.io`); // each a message's first open
    add("click", m, `o${i}@x.io`);
  });
  // A message opened first just before a range and again inside it: an open, not a unique open.
  add("open", "2026-04-01T09:17:04Z", "twice@x.io");
  add("open", "2026-04-01T10:15:00Z", "twice@x.io");
  // Preset edges: 7d from 2026-03-30, 30d from 2026-03-07, 90d from 2026-01-06, all to 2026-04-06T23:59:59Z.
  for (const edge of ["2026-03-30T00:00:00Z", "2026-03-07T00:00:00Z", "2026-01-06T00:00:00Z"]) {
    add("send", at(edge) - 1000, "edge@x.io");
    add("send", edge, "edge@x.io");
  }
  add("bounce", "2026-04-06T23:59:59Z", "edge@x.io", { bounce_type: "hard" });
  add("bounce", "2026-04-07T00:00:00Z", "edge@x.io", { bounce_type: "soft" });
  await postAll(svc, key, [events]);
});
afterAll(() => svc.close());

describe("presets", () => {
  test.each([
    ["?period=7d", "2026-03-30T00:00:00Z"],
    ["?period=30d", "2026-03-07T00:00:00Z"],
    ["?period=90d", "2026-01-06T00:00:00Z"],
    ["", "2026-03-07T00:00:00Z"],
    ["?period=", "2026-03-07T00:00:00Z"],
  ])("%s runs from %s to today 23:59:59Z, both ends inclusive", async (q, from) => {
    const r = await ov(q);
    expect(r.status).toBe(200);
    expect(r.body.period).toEqual({ from, to: "2026-04-06T23:59:59Z" });
    expect(r.body.metrics).toEqual(refOverview(events, at(from), at("2026-04-06T23:59:59Z")));
    // The send 1 s before `from` is out, the one at `from` in; the bounce at `to` in, at to+1s out.
    expect(r.body.metrics.hard_bounces).toBe(1);
    expect(r.body.metrics.soft_bounces).toBe(0);
  });

  test("the preset counts differ exactly by the edge sends", async () => {
    const [d7, d30, d90] = await Promise.all([ov("?period=7d"), ov("?period=30d"), ov("?period=90d")]);
    expect(d30.body.metrics.sends - d7.body.metrics.sends).toBe(2); // 30d edge, and 7d edge - 1 s
    expect(d90.body.metrics.sends - d30.body.metrics.sends).toBe(2);
    expect(d7.body.metrics.sends).toBe(12 + 1);
  });
});

describe("from / to", () => {
  test.each([
    ["?from=2026-04-01&to=2026-04-01", "2026-04-01T00:00:00Z", "2026-04-01T23:59:59Z"],
    ["?from=2026-03-01&to=2026-03-02", "2026-03-01T00:00:00Z", "2026-03-02T23:59:59Z"],
    ["?from=2026-04-01", "2026-04-01T00:00:00Z", "2026-04-06T23:59:59Z"],
    // `to` alone: the preset window ends at `to` (N days before to's day).
    ["?to=2026-04-01", "2026-03-02T00:00:00Z", "2026-04-01T23:59:59Z"],
    ["?period=7d&to=2026-04-02", "2026-03-26T00:00:00Z", "2026-04-02T23:59:59Z"],
    ["?period=90d&from=2026-04-01T10:00:00Z", "2026-04-01T10:00:00Z", "2026-04-06T23:59:59Z"],
    [`?from=${encodeURIComponent("2026-04-01T14:47:05+05:30")}&to=${encodeURIComponent("2026-04-01T06:42:59-05:00")}`, "2026-04-01T09:17:05Z", "2026-04-01T11:42:59Z"],
    ["?from=2026-04-01T09:17:05.000Z&to=2026-04-01T11:42:59.750Z", "2026-04-01T09:17:05Z", "2026-04-01T11:42:59Z"],
    ["?from=2026-04-01t09:17:05z&to=2026-04-01T11:42:59Z", "2026-04-01T09:17:05Z", "2026-04-01T11:42:59Z"],
  ])("%s resolves to %s .. %s", async (q, from, to) => {
    const r = await ov(q);
    expect(r.status).toBe(200);
    expect(r.body.period).toEqual({ from, to });
    expect(r.body.metrics).toEqual(refOverview(events, at(from), at(to)));
  });

  test("09:17:05 .. 11:42:59 (partial, whole, partial hours): exactly the events inside, to the second", async () => {
    const r = await ov(`?from=2026-04-01T09:17:05Z&to=2026-04-01T11:42:59Z`);
    // marks 1..8 are inside (09:17:05, 09:59:59, 10:00, 10:30, 10:59:59.999, 11:00, 11:42:59, 11:42:59.999)
    expect(r.body.metrics).toMatchObject({ sends: 8, delivered: 8, opens: 9, unique_opens: 8, clicks: 8, unique_clicks: 8, open_rate: 1.125 });
  });

  test("bounds moved by one second either way take in or drop exactly one mark", async () => {
    const base = { from: at("2026-04-01T09:17:05Z"), to: at("2026-04-01T11:42:59Z") };
    const cases: [number, number, number][] = [
      [base.from - 1000, base.to, 9], // 09:17:04 comes in
      [base.from + 1000, base.to, 7], // 09:17:05 drops out
      [base.from, base.to + 1000, 9], // 11:43:00 comes in
      [base.from, base.to - 1000, 6], // both 11:42:59 and 11:42:59.999 drop out
    ];
    for (const [f, t, sends] of cases) {
      const r = await rest(svc, "GET", overviewPath(f, t), { key });
      expect(r.body.period).toEqual({ from: isoSec(f), to: isoSec(t) });
      expect(r.body.metrics.sends, `${isoSec(f)}..${isoSec(t)}`).toBe(sends);
      expect(r.body.metrics).toEqual(refOverview(events, f, t));
    }
  });

  test("hour-aligned, half-aligned and within-one-hour ranges", async () => {
    const ranges: [string, string][] = [
      ["2026-04-01T10:00:00Z", "2026-04-01T10:59:59Z"],
      ["2026-04-01T10:00:00Z", "2026-04-01T11:42:59Z"],
      ["2026-04-01T09:17:05Z", "2026-04-01T10:59:59Z"],
      ["2026-04-01T10:30:00Z", "2026-04-01T10:30:00Z"],
      ["2026-04-01T11:00:00Z", "2026-04-01T11:00:00Z"],
      ["2026-04-01T10:59:59Z", "2026-04-01T11:00:00Z"],
      ["2026-04-01T09:00:00Z", "2026-04-01T12:00:00Z"],
      ["2026-04-01T09:30:00Z", "2026-04-01T09:45:00Z"],
    ];
    for (const [f, t] of ranges) {
      const r = await rest(svc, "GET", overviewPath(at(f), at(t)), { key });
      expect(r.body.metrics, `${f}..${t}`).toEqual(refOverview(events, at(f), at(t)));
    }
    const one = await rest(svc, "GET", overviewPath(at("2026-04-01T10:59:59Z"), at("2026-04-01T10:59:59Z")), { key });
    expect(one.body.metrics).toMatchObject({ sends: 1, unique_opens: 1 }); // the .999 mark
    const unique = await rest(svc, "GET", overviewPath(at("2026-04-01T10:15:00Z"), at("2026-04-01T10:15:00Z")), { key });
    expect(unique.body.metrics).toMatchObject({ opens: 1, unique_opens: 0, open_rate: 0 });
  });

  test("a range of exactly 366 days is allowed", async () => {
    const r = await ov("?from=2025-04-06&to=2026-04-06");
    expect(r.status).toBe(200);
    expect(r.body.period).toEqual({ from: "2025-04-06T00:00:00Z", to: "2026-04-06T23:59:59Z" });
    expect(r.body.metrics.sends).toBe(refOverview(events, at("2025-04-06T00:00:00Z"), at("2026-04-06T23:59:59Z")).sends);
  });
});

describe("GetTimeSeries on every protocol", () => {
  test("Connect (JSON and binary), gRPC and grpc-js answer the buckets REST does", async () => {
    const q = { interval: "hour", timeZone: "Asia/Kathmandu", period: "", from: "2026-04-01T09:17:05Z", to: "2026-04-01T12:00:00Z" };
    const r = await rest(svc, "GET", "/api/v1/analytics/timeseries?interval=hour&time_zone=Asia/Kathmandu&from=2026-04-01T09:17:05Z&to=2026-04-01T12:00:00Z", { key });
    expect(r.status).toBe(200);
    // Kathmandu hours start at :15Z: 09:15, 10:15, 11:15 (cut at 12:00:00 inclusive).
    expect(r.body.buckets.map((b: { start: string }) => b.start)).toEqual(["2026-04-01T15:00:00+05:45", "2026-04-01T16:00:00+05:45", "2026-04-01T17:00:00+05:45"]);
    const want = r.body.buckets.map((b: { metrics: { sends: number; unique_opens: number } }) => [b.metrics.sends, b.metrics.unique_opens]);
    expect(want.flat().some((n: number) => n > 0)).toBe(true);
    for (const t of [connectTransport(svc), connectTransport(svc, { binary: true }), grpcTransport(svc)]) {
      const res = await client(AnalyticsService, t).getTimeSeries(q, bearer(key));
      expect(res.buckets.map((b) => [Number(b.metrics!.sends), Number(b.metrics!.uniqueOpens)])).toEqual(want);
      expect(res.buckets.map((b) => b.start)).toEqual(r.body.buckets.map((b: { start: string }) => b.start));
    }
    const stubs = grpcJsClients(svc);
    try {
      const res = await grpcCall<tp.GetTimeSeriesRequest, tp.GetTimeSeriesResponse>(stubs.analytics.getTimeSeries, stubs.analytics, q, grpcMetadata(key));
      expect(res.buckets.map((b) => [b.metrics!.sends, b.metrics!.uniqueOpens])).toEqual(want);
    } finally {
      stubs.analytics.close();
      stubs.track.close();
      stubs.ingest.close();
    }
  });
});

describe("400s name the field", () => {
  test.each([
    ["?period=14d", "period"],
    ["?period=30D", "period"],
    ["?from=garbage", "from"],
    ["?from=2026-04-01T10:00:00", "from"],
    ["?to=2026-02-30", "to"],
    ["?to=2026-04-01T24:00:00Z", "to"],
    ["?from=2026-04-02&to=2026-04-01", "from"],
    ["?from=2026-04-01T10:00:01Z&to=2026-04-01T10:00:00Z", "from"],
    ["?from=2025-04-05T23:59:59Z&to=2026-04-06", "to"],
    ["?from=2024-01-01&to=2026-01-01", "to"],
  ])("%s → 400 on %s", async (q, field) => {
    const r = await ov(q);
    expect(r.status).toBe(400);
    expect(r.body.success).toBe(false);
    expect(r.body.error).toMatchObject({ code: "invalid_argument", field });
    expect(typeof r.body.error.message).toBe("string");
    expect(r.body.error.message.length).toBeGreaterThan(0);
  });

  test.each([
    ["overview", "?time_zone=Mars/Olympus", "time_zone"],
    ["overview", "?time_zone=%2B05:30", "time_zone"],
    ["timeseries", "?time_zone=-08:00", "time_zone"],
    ["timeseries", "?interval=minute", "interval"],
    ["timeseries", "?interval=hour&period=90d", "interval"], // 2,160 buckets
    ["timeseries", "?interval=hour&from=2026-01-01T00:00:00Z&to=2026-02-11T16:00:00Z", "interval"], // 1,001
    ["timeseries", "?time_zone=Europe/Nowhere", "time_zone"],
    ["timeseries", "?period=14d", "period"],
  ])("%s%s → 400 on %s", async (path, q, field) => {
    const r = await rest(svc, "GET", `/api/v1/analytics/${path}${q}`, { key });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: "invalid_argument", field });
  });

  test("1,000 hourly buckets are allowed", async () => {
    const r = await rest(svc, "GET", "/api/v1/analytics/timeseries?interval=hour&from=2026-01-01T00:00:00Z&to=2026-02-11T15:59:59Z", { key });
    expect(r.status).toBe(200);
    expect(r.body.buckets).toHaveLength(1000);
  });

  test("Connect carries INVALID_ARGUMENT for the same cases", async () => {
    const c = client(AnalyticsService, connectTransport(svc));
    for (const req of [{ period: "14d" }, { from: "garbage" }, { to: "2026-02-30" }, { from: "2026-04-02", to: "2026-04-01" }, { from: "2024-01-01", to: "2026-01-01" }]) {
      const err = await c.getOverview(req, bearer(key)).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(err?.code, JSON.stringify(req)).toBe(Code.InvalidArgument);
    }
  });
});
