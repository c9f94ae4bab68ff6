import { ScalarType, create, type DescEnum, type DescField, type DescMessage, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Violations } from "../rpc/errors.js";
import { NOT_RFC3339, parseRfc3339 } from "../time.js";

/*
 * The REST JSON mapping, which differs from canonical proto JSON as the public API requires:
 * snake_case proto field names; 64-bit integers as JSON numbers; enums as the lower-case value
 * name without the enum's prefix (`EMAIL_EVENT_TYPE_SEND` is "send"); timestamps as RFC 3339
 * UTC with second precision; unset optional fields and messages as null. Decoding is strict:
 * every unknown field and wrongly typed value is reported with its path.
 */

/** The REST word for each enum value (UNSPECIFIED has none). */
export function enumWord(e: DescEnum, number: number): string | null {
  return enumWords(e).byNumber.get(number) ?? null;
}

function enumFromWord(e: DescEnum, word: string): number | undefined {
  return enumWords(e).byWord.get(word);
}

// Derived once per descriptor: a batch decodes the same few descriptors a thousand times.
const enumCache = new WeakMap<DescEnum, { byNumber: Map<number, string>; byWord: Map<string, number> }>();
const fieldCache = new WeakMap<DescMessage, Map<string, DescField>>();

function enumWords(e: DescEnum) {
  let c = enumCache.get(e);
  if (!c) {
    c = { byNumber: new Map(), byWord: new Map() };
    for (const v of e.values) {
      if (v.number === 0) continue;
      const word = v.name.slice(e.sharedPrefix ? e.sharedPrefix.length : 0).replace(/^_/, "").toLowerCase();
      c.byNumber.set(v.number, word);
      c.byWord.set(word, v.number);
    }
    enumCache.set(e, c);
  }
  return c;
}

/** Fields by proto name and by JSON name. */
function fieldsByName(desc: DescMessage): Map<string, DescField> {
  let m = fieldCache.get(desc);
  if (!m) {
    m = new Map();
    for (const f of desc.fields) m.set(f.jsonName, f);
    for (const f of desc.fields) m.set(f.name, f);
    fieldCache.set(desc, m);
  }
  return m;
}

const NO_FIELDS: ReadonlySet<string> = new Set();

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** Renders a message as REST JSON. */
export function encodeMessage(desc: DescMessage, msg: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const f of desc.fields) out[f.name] = encodeField(f, msg[f.localName]);
  return out;
}

function encodeField(f: DescField, value: unknown): JsonValue {
  switch (f.fieldKind) {
    case "scalar":
      if (value === undefined) return null;
      return encodeScalar(f.scalar, value);
    case "enum":
      return enumWord(f.enum, value as number);
    case "message":
      return value === undefined ? null : encodeMessageValue(f.message, value);
    case "list":
      return (value as unknown[]).map((item) =>
        f.listKind === "scalar"
          ? encodeScalar(f.scalar, item)
          : f.listKind === "enum"
            ? enumWord(f.enum, item as number)
            : encodeMessageValue(f.message, item),
      );
    case "map": {
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        out[k] = f.mapKind === "scalar" ? encodeScalar(f.scalar, v) : f.mapKind === "enum" ? enumWord(f.enum, v as number) : encodeMessageValue(f.message, v);
      }
      return out;
    }
  }
}

function encodeMessageValue(desc: DescMessage, value: unknown): JsonValue {
  switch (desc.typeName) {
    case "google.protobuf.Timestamp": {
      const ts = value as { seconds: bigint };
      return new Date(Number(ts.seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    }
    case "google.protobuf.Struct":
      return value as JsonObject;
    default:
      return encodeMessage(desc, value as Record<string, unknown>);
  }
}

function encodeScalar(t: ScalarType, v: unknown): JsonValue {
  switch (t) {
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return Number(v as bigint);
    case ScalarType.BYTES:
      return Buffer.from(v as Uint8Array).toString("base64");
    default:
      return v as JsonValue;
  }
}

/**
 * Builds a message from REST JSON, adding a violation (with its field path) for every problem.
 * `skip` names fields filled from the URL instead.
 */
export function decodeMessage(desc: DescMessage, json: unknown, v: Violations, path = "", skip: ReadonlySet<string> = NO_FIELDS) {
  const init: Record<string, unknown> = {};
  if (!isObject(json)) {
    v.add(path || "body", "must be a JSON object");
    return create(desc);
  }
  const byName = fieldsByName(desc);
  // for-in rather than Object.entries: no array per decoded message (a batch decodes 1,000).
  for (const key in json) {
    const value = json[key] as JsonValue; // an own key of a JSON.parse result: present, maybe null
    const f = byName.get(key);
    const p = path ? `${path}.${key}` : key;
    if (!f || skip.has(f.name)) {
      v.add(p, "is not a known field");
      continue;
    }
    if (value === null) continue; // null means "not set", as in proto JSON
    const decoded = decodeField(f, value, v, path ? `${path}.${f.name}` : f.name);
    if (decoded !== undefined) init[f.localName] = decoded;
  }
  return create(desc, init);
}

function decodeField(f: DescField, value: JsonValue, v: Violations, p: string): unknown {
  switch (f.fieldKind) {
    case "scalar":
      return decodeScalar(f.scalar, value, v, p);
    case "enum":
      return decodeEnum(f.enum, value, v, p);
    case "message":
      return decodeMessageValue(f.message, value, v, p);
    case "list": {
      if (!Array.isArray(value)) {
        v.add(p, "must be an array");
        return undefined;
      }
      return value.map((item, i) => {
        const ip = `${p}[${i}]`;
        if (f.listKind === "scalar") return decodeScalar(f.scalar, item, v, ip);
        if (f.listKind === "enum") return decodeEnum(f.enum, item, v, ip);
        return decodeMessageValue(f.message, item, v, ip);
      });
    }
    case "map":
      v.add(p, "maps are not supported over REST");
      return undefined;
  }
}

/**
 * An unknown enum word (the right JSON type, not an acceptable value) decodes to a value the
 * contract's `defined_only` rule rejects with the field's message (src/rpc/validation.ts).
 */
export const INVALID_ENUM = -1;

function decodeEnum(e: DescEnum, value: JsonValue, v: Violations, p: string): number | undefined {
  if (typeof value !== "string") {
    const words = e.values.filter((x) => x.number !== 0).map((x) => enumWord(e, x.number));
    v.add(p, `must be one of ${words.join(", ")}`);
    return undefined;
  }
  return enumFromWord(e, value) ?? INVALID_ENUM;
}

function decodeMessageValue(desc: DescMessage, value: JsonValue, v: Violations, p: string): unknown {
  switch (desc.typeName) {
    case "google.protobuf.Timestamp": {
      if (typeof value !== "string") {
        v.add(p, NOT_RFC3339);
        return undefined;
      }
      const ms = parseRfc3339(value);
      if (ms === undefined) {
        v.add(p, NOT_RFC3339);
        return undefined;
      }
      return timestampFromMs(ms);
    }
    case "google.protobuf.Struct":
      if (!isObject(value)) {
        v.add(p, "must be a JSON object");
        return undefined;
      }
      return value;
    default:
      return decodeMessage(desc, value, v, p);
  }
}

/**
 * A query parameter's text as the JSON value its field takes: a query string carries only text,
 * so an integer field's `50` becomes the number 50 and a bool's `true` the boolean (anything else
 * stays text and is reported by the decoder as the field's wrong type). Strings, enum words and
 * timestamps are text already.
 */
export function queryValue(desc: DescMessage, name: string, raw: string): JsonValue {
  const f = desc.fields.find((x) => x.name === name);
  if (f?.fieldKind !== "scalar") return raw;
  if (f.scalar === ScalarType.BOOL) return raw === "true" ? true : raw === "false" ? false : raw;
  if (f.scalar !== ScalarType.STRING && f.scalar !== ScalarType.BYTES && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  return raw;
}

const INT_MAX: Partial<Record<ScalarType, number>> = {
  [ScalarType.INT32]: 2 ** 31 - 1,
  [ScalarType.UINT32]: 2 ** 32 - 1,
};

function decodeScalar(t: ScalarType, value: JsonValue, v: Violations, p: string): unknown {
  switch (t) {
    case ScalarType.STRING:
      if (typeof value !== "string") break;
      return value;
    case ScalarType.BOOL:
      if (typeof value !== "boolean") break;
      return value;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      if (typeof value !== "number" || !Number.isFinite(value)) break;
      return value;
    case ScalarType.INT32:
    case ScalarType.UINT32:
    case ScalarType.SINT32:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32: {
      const max = INT_MAX[t] ?? 2 ** 31 - 1;
      if (typeof value !== "number" || !Number.isInteger(value) || value > max || value < -(2 ** 31)) break;
      return value;
    }
    case ScalarType.BYTES:
      if (typeof value !== "string") break;
      return Buffer.from(value, "base64");
    default: {
      // 64-bit integers: JSON numbers must be exact integers; decimal strings are accepted too.
      if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
      if (typeof value === "string" && /^-?\d{1,19}$/.test(value)) return BigInt(value);
      v.add(p, "must be an integer");
      return undefined;
    }
  }
  v.add(p, `must be ${scalarNoun(t)}`);
  return undefined;
}

function scalarNoun(t: ScalarType): string {
  switch (t) {
    case ScalarType.STRING:
      return "a string";
    case ScalarType.BOOL:
      return "true or false";
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return "a finite number";
    default:
      return "an integer";
  }
}
