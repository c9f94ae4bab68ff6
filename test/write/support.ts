// Shared helpers for the write-path tests: one way to call each write RPC over every protocol
// and to read the outcome (success body, or error code and named fields) uniformly.
import { fromBinary, fromJson, type DescMessage, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { Metadata, ServiceError } from "@grpc/grpc-js";
import { expect } from "vitest";
import { BadRequestSchema } from "../../gen/es/google/rpc/error_details_pb.js";
import { AnalyticsService } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import {
  IngestService,
  RecordEmailEventsRequestSchema,
  UpsertCampaignRequestSchema,
} from "../../gen/es/misar/analytics/v1/ingest_service_pb.js";
import {
  TrackEventRequestSchema,
  TrackPurchaseRequestSchema,
  TrackService,
} from "../../gen/es/misar/analytics/v1/track_service_pb.js";
import {
  GetCampaignMetricsRequest as TpGetCampaignMetricsRequest,
  GetOverviewRequest as TpGetOverviewRequest,
} from "../../gen/ts-proto/misar/analytics/v1/analytics_service.js";
import {
  RecordEmailEventsRequest as TpRecordEmailEventsRequest,
  UpsertCampaignRequest as TpUpsertCampaignRequest,
} from "../../gen/ts-proto/misar/analytics/v1/ingest_service.js";
import {
  GetCampaignLinksRequest as TpGetCampaignLinksRequest,
  ListCampaignsRequest as TpListCampaignsRequest,
} from "../../gen/ts-proto/misar/analytics/v1/campaign_reads.js";
import {
  TrackEventRequest as TpTrackEventRequest,
  TrackPurchaseRequest as TpTrackPurchaseRequest,
} from "../../gen/ts-proto/misar/analytics/v1/track_service.js";
import {
  bearer,
  client,
  connectTransport,
  grpcCall,
  grpcJsClients,
  grpcMetadata,
  rest,
  type TestService,
} from "../helpers/service.js";

export type Protocol = "rest" | "connect-json" | "connect-binary" | "grpc-js";
export const PROTOCOLS: Protocol[] = ["rest", "connect-json", "connect-binary", "grpc-js"];

export type WriteRpc = "trackEvent" | "trackPurchase" | "recordEmailEvents" | "upsertCampaign";
export type AnyRpc = WriteRpc | "getOverview" | "getCampaignMetrics" | "listCampaigns" | "getCampaignLinks";

/** What a call came back with, the same shape on every protocol. */
export type Outcome =
  // `any`: each test looks into the body of the rpc it called, field by field.
  | { ok: true; body: any }
  | {
      ok: false;
      /** snake_case code name, e.g. invalid_argument */
      code: string;
      /** REST status; undefined for RPC protocols */
      status?: number;
      message: string;
      /** google.rpc.BadRequest field violations (REST: error.violations) */
      fields: string[];
      /** REST: error.field */
      field?: string;
    };

/** An authorization value as sent: a key ("Bearer <key>" is built), a raw header, or none. */
export type Auth = { key: string } | { header: string } | undefined;

const codeName = (c: number) =>
  Code[c]!.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();

/** REST paths per RPC; UpsertCampaign takes its id from the body's `id`. */
function restRoute(rpc: AnyRpc, body: JsonObject): { method: string; path: string; body?: JsonObject } {
  switch (rpc) {
    case "trackEvent":
      return { method: "POST", path: "/api/v1/track/event", body };
    case "trackPurchase":
      return { method: "POST", path: "/api/v1/track/purchase", body };
    case "recordEmailEvents":
      return { method: "POST", path: "/api/v1/ingest/email-events", body };
    case "upsertCampaign": {
      const { id, ...rest } = body;
      return { method: "PUT", path: `/api/v1/campaigns/${encodeURIComponent(String(id))}`, body: rest };
    }
    case "getOverview": {
      const q = new URLSearchParams(body as Record<string, string>).toString();
      return { method: "GET", path: `/api/v1/analytics/overview${q ? "?" + q : ""}` };
    }
    case "getCampaignMetrics":
      return { method: "GET", path: `/api/v1/analytics/campaigns/${encodeURIComponent(String(body.id))}` };
    case "listCampaigns": {
      const q = new URLSearchParams(body as Record<string, string>).toString();
      return { method: "GET", path: `/api/v1/analytics/campaigns${q ? "?" + q : ""}` };
    }
    case "getCampaignLinks":
      return { method: "GET", path: `/api/v1/analytics/campaigns/${encodeURIComponent(String(body.id))}/links` };
  }
}

const ENUM_PREFIX: Record<string, string> = {
  type: "EMAIL_EVENT_TYPE_",
  bounce_type: "BOUNCE_TYPE_",
  status: "CAMPAIGN_STATUS_",
};

/**
 * Turns a REST body into canonical proto JSON (camelCase names, full enum names), which both
 * protobuf-es `fromJson` and ts-proto `fromJSON` read. `properties` is left exactly as is.
 */
export function toProtoJson(value: JsonValue, key?: string): JsonValue {
  if (Array.isArray(value)) return value.map((v) => toProtoJson(v, key));
  if (value === null || typeof value !== "object") {
    if (key && ENUM_PREFIX[key] && typeof value === "string") return ENUM_PREFIX[key] + value.toUpperCase();
    return value;
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null) continue;
    const camel = k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    out[camel] = k === "properties" ? v : toProtoJson(v, k);
  }
  return out;
}

const ES_REQ: Record<AnyRpc, DescMessage> = {
  trackEvent: TrackEventRequestSchema,
  trackPurchase: TrackPurchaseRequestSchema,
  recordEmailEvents: RecordEmailEventsRequestSchema,
  upsertCampaign: UpsertCampaignRequestSchema,
  getOverview: AnalyticsService.method.getOverview.input,
  getCampaignMetrics: AnalyticsService.method.getCampaignMetrics.input,
  listCampaigns: AnalyticsService.method.listCampaigns.input,
  getCampaignLinks: AnalyticsService.method.getCampaignLinks.input,
};

/** One set of clients per service, for every protocol. */
export class Caller {
  private readonly connect: Record<"connect-json" | "connect-binary", { track: Client<typeof TrackService>; ingest: Client<typeof IngestService>; analytics: Client<typeof AnalyticsService> }>;
  readonly grpc: ReturnType<typeof grpcJsClients>;

  constructor(readonly svc: TestService) {
    const mk = (binary: boolean) => {
      const t = connectTransport(svc, { binary });
      return { track: client(TrackService, t), ingest: client(IngestService, t), analytics: client(AnalyticsService, t) };
    };
    this.connect = { "connect-json": mk(false), "connect-binary": mk(true) };
    this.grpc = grpcJsClients(svc);
  }

  close(): void {
    this.grpc.track.close();
    this.grpc.ingest.close();
    this.grpc.analytics.close();
  }

  /** Calls `rpc` with a REST-shaped body over `protocol`. */
  async call(protocol: Protocol, rpc: AnyRpc, body: JsonObject, auth: Auth): Promise<Outcome> {
    const header = auth === undefined ? undefined : "key" in auth ? `Bearer ${auth.key}` : auth.header;
    if (protocol === "rest") {
      const r = restRoute(rpc, body);
      const res = await rest(this.svc, r.method, r.path, {
        body: r.body,
        headers: header === undefined ? {} : { authorization: header },
      });
      return restOutcome(res);
    }
    const protoJson = toProtoJson(body) as JsonObject;
    if (protocol === "grpc-js") {
      const md = grpcMetadataFor(header);
      const g = this.grpc;
      try {
        switch (rpc) {
          case "trackEvent":
            return { ok: true, body: await grpcCall(g.track.trackEvent, g.track, TpTrackEventRequest.fromJSON(protoJson), md) };
          case "trackPurchase":
            return { ok: true, body: await grpcCall(g.track.trackPurchase, g.track, TpTrackPurchaseRequest.fromJSON(protoJson), md) };
          case "recordEmailEvents":
            return {
              ok: true,
              body: await grpcCall(g.ingest.recordEmailEvents, g.ingest, TpRecordEmailEventsRequest.fromJSON(protoJson), md),
            };
          case "upsertCampaign":
            return { ok: true, body: await grpcCall(g.ingest.upsertCampaign, g.ingest, TpUpsertCampaignRequest.fromJSON(protoJson), md) };
          case "getOverview":
            return { ok: true, body: await grpcCall(g.analytics.getOverview, g.analytics, TpGetOverviewRequest.fromJSON(protoJson), md) };
          case "getCampaignMetrics":
            return {
              ok: true,
              body: await grpcCall(g.analytics.getCampaignMetrics, g.analytics, TpGetCampaignMetricsRequest.fromJSON(protoJson), md),
            };
          case "listCampaigns":
            return { ok: true, body: await grpcCall(g.analytics.listCampaigns, g.analytics, TpListCampaignsRequest.fromJSON(protoJson), md) };
          case "getCampaignLinks":
            return { ok: true, body: await grpcCall(g.analytics.getCampaignLinks, g.analytics, TpGetCampaignLinksRequest.fromJSON(protoJson), md) };
        }
      } catch (err) {
        return grpcOutcome(err as ServiceError);
      }
    }
    const c = this.connect[protocol];
    // `any`: the request's message type depends on `rpc`, which the Connect client's method is picked by.
    const msg = fromJson(ES_REQ[rpc], protoJson) as any;
    const opts = header === undefined ? {} : { headers: { authorization: header } };
    try {
      switch (rpc) {
        case "trackEvent":
          return { ok: true, body: await c.track.trackEvent(msg, opts) };
        case "trackPurchase":
          return { ok: true, body: await c.track.trackPurchase(msg, opts) };
        case "recordEmailEvents":
          return { ok: true, body: await c.ingest.recordEmailEvents(msg, opts) };
        case "upsertCampaign":
          return { ok: true, body: await c.ingest.upsertCampaign(msg, opts) };
        case "getOverview":
          return { ok: true, body: await c.analytics.getOverview(msg, opts) };
        case "getCampaignMetrics":
          return { ok: true, body: await c.analytics.getCampaignMetrics(msg, opts) };
        case "listCampaigns":
          return { ok: true, body: await c.analytics.listCampaigns(msg, opts) };
        case "getCampaignLinks":
          return { ok: true, body: await c.analytics.getCampaignLinks(msg, opts) };
      }
    } catch (err) {
      return connectOutcome(err);
    }
  }
}

function grpcMetadataFor(header: string | undefined): Metadata {
  const md = grpcMetadata("x");
  if (header === undefined) md.remove("authorization");
  else md.set("authorization", header);
  return md;
}

// `any`: as the REST helper returns it (see test/helpers/service.ts).
export function restOutcome(res: { status: number; body: any }): Outcome {
  if (res.status === 200) {
    expect(res.body.success).toBe(true);
    return { ok: true, body: res.body };
  }
  expect(res.body, `REST error body for status ${res.status}`).toMatchObject({ success: false, error: { code: expect.any(String), message: expect.any(String) } });
  const e = res.body.error;
  return {
    ok: false,
    code: e.code,
    status: res.status,
    message: e.message,
    field: e.field,
    fields: (e.violations ?? []).map((v: { field: string }) => v.field),
  };
}

export function connectOutcome(err: unknown): Outcome {
  if (!(err instanceof ConnectError)) throw err;
  const fields = err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
  return { ok: false, code: codeName(err.code), message: err.rawMessage, fields };
}

/** Reads the google.rpc.Status from grpc-status-details-bin and its BadRequest details. */
export function grpcOutcome(err: ServiceError): Outcome {
  if (typeof err?.code !== "number") throw err;
  const fields: string[] = [];
  for (const bin of err.metadata?.get("grpc-status-details-bin") ?? []) {
    for (const any of statusDetails(bin as Buffer)) {
      if (any.typeUrl.endsWith("/google.rpc.BadRequest")) {
        fields.push(...fromBinary(BadRequestSchema, any.value).fieldViolations.map((v) => v.field));
      }
    }
  }
  return { ok: false, code: codeName(err.code), message: err.details, fields };
}

/** google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3; } */
function statusDetails(bytes: Uint8Array): { typeUrl: string; value: Uint8Array }[] {
  const out: { typeUrl: string; value: Uint8Array }[] = [];
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no !== 3) {
      r.skip(wt);
      continue;
    }
    const a = new BinaryReader(r.bytes());
    let typeUrl = "";
    let value: Uint8Array = new Uint8Array();
    while (a.pos < a.len) {
      const [ano, awt] = a.tag();
      if (ano === 1) typeUrl = a.string();
      else if (ano === 2) value = a.bytes();
      else a.skip(awt);
    }
    out.push({ typeUrl, value });
  }
  return out;
}

/** HTTP status each code must map to. */
export const STATUS_OF: Record<string, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  payload_too_large: 413,
};

/** Asserts an error outcome: its code, the REST status for it, and (if given) the fields named. */
export function expectError(o: Outcome, code: string, fields?: string[], label = ""): void {
  expect(o.ok, `${label}: expected ${code}, got success ${show(o)}`).toBe(false);
  if (o.ok) return;
  expect(o.code, `${label}: code (${o.message})`).toBe(code);
  if (o.status !== undefined) expect(o.status, `${label}: HTTP status`).toBe(STATUS_OF[code]);
  if (fields) {
    expect([...o.fields].sort(), `${label}: violated fields (${o.message})`).toEqual([...fields].sort());
    if (o.status !== undefined) expect(o.field, `${label}: error.field`).toBe(fields[0]);
  }
}

/** Every collection in which a write leaves account-scoped documents (field `a`). */
const DATA_COLLECTIONS = [
  "email_events",
  "track_events",
  "purchases",
  "campaigns",
  "account_day_spans",
  "account_day_hours",
  "campaign_stats",
  "campaign_link_pages",
  "campaign_link_urls",
  "campaign_list_entries",
  "campaign_list_pages",
  "message_firsts",
  "ingest_batches",
];

/** Documents the account has anywhere, by collection (empty object: nothing stored). */
export async function storedFor(svc: TestService, account: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of DATA_COLLECTIONS) {
    const n = await svc.store.db.collection(name).countDocuments({ a: account });
    if (n > 0) out[name] = n;
  }
  return out;
}

/** A REST email event with sensible defaults. */
export function emailEvent(over: Record<string, JsonValue> = {}): JsonObject {
  return {
    type: "send",
    contact_email: "user@example.com",
    timestamp: "2026-04-01T09:00:00Z",
    campaign_id: "camp_a",
    ...over,
  };
}

/** GET campaign metrics over REST. */
export function campaignMetrics(svc: TestService, key: string, id: string) {
  return rest(svc, "GET", `/api/v1/analytics/campaigns/${encodeURIComponent(id)}`, { key });
}

export { bearer };

/** JSON for failure messages (bigint-safe). */
export function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x));
}
