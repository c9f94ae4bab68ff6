// The hostile inputs themselves: malformed protobuf, deep nesting, invalid UTF-8, floods.
import { create, toBinary } from "@bufbuild/protobuf";
import { TrackEventRequestSchema, TrackPurchaseRequestSchema } from "../../gen/es/misar/analytics/v1/track_service_pb.js";

export const TRACK_EVENT = "misar.analytics.v1.TrackService/TrackEvent";
export const TRACK_PURCHASE = "misar.analytics.v1.TrackService/TrackPurchase";
export const RECORD_EVENTS = "misar.analytics.v1.IngestService/RecordEmailEvents";
export const GET_OVERVIEW = "misar.analytics.v1.AnalyticsService/GetOverview";

const bytes = (...parts: (number[] | Uint8Array)[]): Uint8Array => Buffer.concat(parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p))));

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const tag = (no: number, wt: number) => varint(no * 8 + wt);
const ld = (no: number, payload: Uint8Array | number[]) => bytes(tag(no, 2), varint(payload.length), payload);

/** A valid purchase, as binary, for an account's test. */
export function purchaseBinary(orderId: string): Uint8Array {
  return toBinary(TrackPurchaseRequestSchema, create(TrackPurchaseRequestSchema, { contactEmail: "user@example.com", amount: 10, currency: "USD", orderId }));
}

/** A purchase whose order_id is the given raw bytes (e.g. not UTF-8). */
export function purchaseWithRawOrderId(raw: number[]): Uint8Array {
  const base = toBinary(TrackPurchaseRequestSchema, create(TrackPurchaseRequestSchema, { contactEmail: "user@example.com", amount: 10, currency: "USD" }));
  return bytes(base, ld(4, raw));
}

/** TrackEvent whose `properties` nests `depth` objects, binary: Struct{a: Value{struct_value: …}}. */
export function deepPropertiesBinary(depth: number): Uint8Array {
  let struct: Uint8Array = new Uint8Array(0);
  for (let i = 1; i < depth; i++) {
    const value = ld(5, struct); // Value.struct_value
    const entry = bytes(ld(1, [0x61]), ld(2, value)); // map entry: key "a", value
    struct = ld(1, entry); // Struct.fields
  }
  const head = toBinary(TrackEventRequestSchema, create(TrackEventRequestSchema, { eventName: "deep", contactEmail: "user@example.com" }));
  return bytes(head, ld(3, struct));
}

/** `{"a":{"a":…}}` nested `depth` deep. */
export const deepJsonObject = (depth: number) => '{"a":'.repeat(depth - 1) + "{}" + "}".repeat(depth - 1);

/** Malformed protobuf bodies for any request message, each with what is wrong. */
export const MALFORMED_BINARY: { name: string; body: Uint8Array }[] = [
  { name: "a bad varint (ff ff ff)", body: bytes([0xff, 0xff, 0xff]) },
  { name: "a varint of 11 bytes", body: bytes(tag(99, 0), Array(10).fill(0xff), [0x01]) },
  { name: "wire type 7", body: bytes(tag(1, 7)) },
  { name: "wire type 6", body: bytes(tag(1, 6), [0]) },
  { name: "field number 0", body: bytes([0x00, 0x01]) },
  { name: "a stray end-group", body: bytes(tag(99, 4)) },
  { name: "a length past the end", body: bytes(tag(1, 2), [0x05, 0x61]) },
  { name: "a truncated fixed64", body: bytes(tag(99, 1), [1, 2, 3]) },
  { name: "an unterminated group", body: bytes(tag(99, 3), tag(98, 0), [1]) },
  { name: "a mismatched end-group", body: bytes(tag(99, 3), tag(98, 4)) },
  { name: "groups nested 10,000 deep", body: bytes(...Array.from({ length: 10_000 }, () => tag(99, 3))) },
  { name: "a string field sent as a varint", body: bytes(tag(1, 0), [1]) },
];
