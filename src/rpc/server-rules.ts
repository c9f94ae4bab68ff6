import type { DescMessage, JsonValue, Message, MessageShape } from "@bufbuild/protobuf";
import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  RecordEmailEventsRequestSchema,
  UpsertCampaignRequestSchema,
} from "../../gen/es/misar/analytics/v1/ingest_service_pb.js";
import { TrackEventRequestSchema, TrackPurchaseRequestSchema } from "../../gen/es/misar/analytics/v1/track_service_pb.js";
import { DAY_MS } from "../storage/types.js";
import type { Violations } from "./errors.js";

/*
 * The rules the contract cannot declare, because they depend on the server (its clock, its
 * currency data) or on a value no `buf.validate` rule can measure (the depth and size of a
 * Struct). They run in the validation interceptor beside the contract's rules, so one answer
 * names every bad field; the handlers trust what passes.
 */

export const MAX_PROPERTIES_BYTES = 16 * 1024;
export const MAX_PROPERTIES_DEPTH = 8;
/** Registered send times may lie ahead (scheduled campaigns), but not absurdly. */
const MAX_SENT_AT_AHEAD_MS = 366 * DAY_MS;

type Rule = (message: Message, now: Date, v: Violations) => void;

/** Server rules by request type name. */
export const serverRules: ReadonlyMap<string, Rule> = new Map([
  rule(RecordEmailEventsRequestSchema, (req, now, v) => {
    req.events.forEach((ev, i) => notAhead(v, `events[${i}].timestamp`, ev.timestamp, now, DAY_MS, "1 day"));
  }),
  rule(UpsertCampaignRequestSchema, (req, now, v) => notAhead(v, "sent_at", req.sentAt, now, MAX_SENT_AT_AHEAD_MS, "366 days")),
  rule(TrackEventRequestSchema, (req, now, v) => {
    notAhead(v, "timestamp", req.timestamp, now, DAY_MS, "1 day");
    if (req.properties === undefined) return;
    const problem = checkJson(req.properties, 1);
    if (problem) v.add("properties", problem);
    else if (Buffer.byteLength(JSON.stringify(req.properties)) > MAX_PROPERTIES_BYTES) {
      v.add("properties", `must be at most ${MAX_PROPERTIES_BYTES} bytes as JSON`);
    }
  }),
  rule(TrackPurchaseRequestSchema, (req, now, v) => {
    notAhead(v, "timestamp", req.timestamp, now, DAY_MS, "1 day");
    // The contract admits any three letters; ICU knows which are ISO 4217 codes.
    if (/^[A-Za-z]{3}$/.test(req.currency) && !isCurrency(req.currency.toUpperCase())) {
      v.add("currency", "must be an ISO 4217 currency code such as USD");
    }
  }),
]);

function rule<S extends DescMessage>(schema: S, check: (message: MessageShape<S>, now: Date, v: Violations) => void): [string, Rule] {
  // The map is keyed by this schema's type name, so the message handed back is of this schema.
  return [schema.typeName, check as Rule];
}

function notAhead(v: Violations, field: string, ts: Timestamp | undefined, now: Date, maxAheadMs: number, limit: string): void {
  if (ts && timestampMs(ts) > now.getTime() + maxAheadMs) v.add(field, `must not be more than ${limit} in the future`);
}

const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

/** ISO 4217 alphabetic codes, upper-case, as known to the runtime's ICU data. */
export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && CURRENCIES.has(code);
}

/**
 * Describes why a properties value is unacceptable (too deep, a non-finite number), or undefined.
 * `depth` counts containers (objects and arrays) only: `{"a": 1}` is 1 level deep.
 */
function checkJson(value: JsonValue, depth: number): string | undefined {
  if (typeof value === "number" && !Number.isFinite(value)) return "must not contain NaN or Infinity";
  if (value !== null && typeof value === "object") {
    if (depth > MAX_PROPERTIES_DEPTH) return `must be nested at most ${MAX_PROPERTIES_DEPTH} levels deep`;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      const p = checkJson(child, depth + 1);
      if (p) return p;
    }
  }
  return undefined;
}
