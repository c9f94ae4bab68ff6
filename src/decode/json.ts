import { isUtf8 } from "node:buffer";
import { ScalarType, getOption, type DescField, type DescMessage, type JsonValue } from "@bufbuild/protobuf";
import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { field as fieldRules } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import type { Violations } from "../rpc/errors.js";
import { NOT_RFC3339, fitsTimestamp, outsideRange, parseRfc3339 } from "../time.js";
import { JSON_VALUE_TYPES, Refusal, type DecodeLimits } from "./limits.js";

/*
 * JSON request bodies (REST and Connect JSON) before any decoder sees them: bounded nesting,
 * valid Unicode in every string, and, for Connect's canonical proto JSON, every key a field of
 * the message (unknown fields are rejected, as REST does) and every value of its field's type,
 * each problem reported with the field's proto name (`events[3].id`, whatever the JSON name).
 */

declare global {
  interface String {
    /** ES2024, in Node 20: false when the string holds a lone surrogate. */
    isWellFormed(): boolean;
  }
}

/** Parses a JSON body; invalid UTF-8 inside strings is kept visible (see `escapeInvalidUtf8`). */
export function parseJsonBody(bytes: Uint8Array, desc: DescMessage, limits: DecodeLimits): unknown {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  scan(buf, desc, limits.maxValueDepth + 8, limits.maxItems);
  const text = isUtf8(buf) ? buf.toString("utf8") : escapeInvalidUtf8(buf);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new Refusal("body", "is not valid JSON");
  }
}

/**
 * One pass over the bytes before JSON.parse, which needs ~90 ms for 500,000 nested arrays and
 * ~60 ms for an object of 80,000 keys: refuses nesting deeper than `maxDepth` and any object or
 * array with more than `maxItems` members, naming the top-level field they are in.
 */
function scan(buf: Buffer, desc: DescMessage, maxDepth: number, maxItems: number): void {
  const members: number[] = []; // per open object/array: members so far
  let inString = false;
  let keyStart = -1;
  let lastString: [number, number] | undefined;
  let topKey: string | undefined;
  const refuse = (what: string) => {
    const f = topKey === undefined ? undefined : desc.fields.find((x) => x.jsonName === topKey || x.name === topKey);
    throw new Refusal(members.length <= 1 ? "body" : (f?.name ?? "body"), what);
  };
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) {
        inString = false;
        if (members.length === 1) lastString = [keyStart, i];
      }
      continue;
    }
    if (b === 0x22) {
      inString = true;
      keyStart = i + 1;
    } else if (b === 0x3a && members.length === 1 && lastString) {
      topKey = buf.toString("utf8", lastString[0], lastString[1]);
    } else if (b === 0x2c) {
      const n = members.length - 1;
      if (n >= 0 && ++members[n]! >= maxItems) refuse(`has more than ${maxItems} ${buf[openedAt[n]!] === 0x7b ? "keys" : "items"}`);
    } else if (b === 0x7b || b === 0x5b) {
      openedAt[members.length] = i;
      members.push(0);
      if (members.length > maxDepth) refuse(`nests objects and arrays more than ${maxDepth} deep`);
    } else if (b === 0x7d || b === 0x5d) members.pop();
  }
}
// Where each open object/array began (to tell keys from items); reused across calls.
const openedAt: number[] = [];

/**
 * Decoding with replacement characters would make `o-\xff` and `o-\xfe` the same id. Each
 * invalid byte becomes the escape of a lone surrogate (`\udcff`), which no valid UTF-8 text can
 * produce, so the string it lands in fails `isWellFormed` and is reported by field; outside a
 * string it is a JSON syntax error.
 */
function escapeInvalidUtf8(buf: Buffer): string {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let out = "";
  let start = 0;
  let i = 0;
  while (i < buf.length) {
    const n = sequenceLength(buf, i);
    if (n > 0) {
      i += n;
      continue;
    }
    // After an odd run of backslashes the escape would be read as text: not JSON either way.
    let slashes = 0;
    for (let j = i - 1; j >= start && buf[j] === 0x5c; j--) slashes++;
    if (slashes % 2 === 1) throw new Refusal("body", "is not valid JSON");
    out += decoder.decode(buf.subarray(start, i)) + "\\udc" + buf[i]!.toString(16).padStart(2, "0");
    i++;
    start = i;
  }
  return out + decoder.decode(buf.subarray(start));
}

/** Length of the valid UTF-8 sequence at i, or 0 (overlong forms and surrogates are invalid). */
function sequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c >= 0xe1 && c <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/**
 * Checks a parsed JSON body against the message. `strict` (Connect's canonical JSON) also
 * reports unknown fields and wrongly typed values; the REST codec reports those itself.
 */
export function checkJson(desc: DescMessage, json: unknown, limits: DecodeLimits, v: Violations, strict: boolean): void {
  walkMessage(desc, json, "", 0, { limits, v, strict });
}

interface Walk {
  limits: DecodeLimits;
  v: Violations;
  strict: boolean;
}

const isObject = (x: unknown): x is Record<string, JsonValue> => typeof x === "object" && x !== null && !Array.isArray(x);

const fieldCache = new WeakMap<DescMessage, Map<string, DescField>>();
function fieldNamed(desc: DescMessage, key: string): DescField | undefined {
  let m = fieldCache.get(desc);
  if (!m) {
    m = new Map();
    for (const f of desc.fields) m.set(f.jsonName, f).set(f.name, f);
    fieldCache.set(desc, m);
  }
  return m.get(key);
}

function walkMessage(desc: DescMessage, json: unknown, path: string, depth: number, w: Walk): void {
  if (depth > w.limits.maxMessageDepth) throw new Refusal(path || "body", `is nested more than ${w.limits.maxMessageDepth} messages deep`);
  if (!isObject(json)) {
    if (w.strict) w.v.add(path || "body", "must be a JSON object");
    return;
  }
  let n = 0;
  for (const key in json) {
    if (++n > w.limits.maxItems) throw new Refusal(path || "body", `has more than ${w.limits.maxItems} keys`);
    const f = fieldNamed(desc, key);
    const value = json[key]!;
    if (!f) {
      if (w.strict) w.v.add(path ? `${path}.${key}` : key, "is not a known field");
      continue;
    }
    if (value === null) continue;
    walkField(f, value, path ? `${path}.${f.name}` : f.name, depth, w);
  }
}

function walkField(f: DescField, value: JsonValue, p: string, depth: number, w: Walk): void {
  switch (f.fieldKind) {
    case "scalar":
      return walkScalar(f.scalar, value, p, w);
    case "enum":
      return walkEnum(f, value, p, w);
    case "message":
      return walkMessageValue(f.message, value, p, depth, w, f);
    case "list": {
      if (!Array.isArray(value)) {
        if (w.strict) w.v.add(p, "must be an array");
        return;
      }
      if (value.length > w.limits.maxItems) throw new Refusal(p, `has more than ${w.limits.maxItems} items`);
      value.forEach((item, i) => {
        const ip = `${p}[${i}]`;
        if (f.listKind === "scalar") walkScalar(f.scalar, item, ip, w);
        else if (f.listKind === "enum") walkEnum(f, item, ip, w);
        else walkMessageValue(f.message, item, ip, depth, w);
      });
      return;
    }
    case "map": {
      if (!isObject(value)) {
        if (w.strict) w.v.add(p, "must be a JSON object");
        return;
      }
      let n = 0;
      for (const k in value) {
        if (++n > w.limits.maxItems) throw new Refusal(p, `has more than ${w.limits.maxItems} keys`);
        if (!k.isWellFormed()) w.v.add(p, "must be valid UTF-8");
        const item = value[k]!;
        if (f.mapKind === "scalar") walkScalar(f.scalar, item, p, w);
        else if (f.mapKind === "enum") walkEnum(f, item, p, w);
        else walkMessageValue(f.message, item, p, depth, w);
      }
    }
  }
}

function walkMessageValue(desc: DescMessage, value: JsonValue, p: string, depth: number, w: Walk, field?: DescField): void {
  if (JSON_VALUE_TYPES.has(desc.typeName)) {
    if (w.strict && desc.typeName === "google.protobuf.Struct" && !isObject(value)) w.v.add(p, "must be a JSON object");
    else if (w.strict && desc.typeName === "google.protobuf.ListValue" && !Array.isArray(value)) w.v.add(p, "must be an array");
    else walkJsonValue(value, p, 0, w);
    return;
  }
  if (desc.typeName === "google.protobuf.Timestamp") {
    if (!w.strict) return;
    const ms = typeof value === "string" ? parseRfc3339(value) : undefined;
    // The decoder cannot hold a time outside google.protobuf.Timestamp's years 0001-9999 (year
    // 0000, or 9999-12-31T23:59:59-23:59), which REST hands to the contract's range rule: the
    // same words here, from the field's rule.
    if (ms === undefined) w.v.add(p, NOT_RFC3339);
    else if (!fitsTimestamp(ms)) w.v.add(p, (field && rangeWords(field)) ?? "must be from year 0001 to 9999");
    return;
  }
  walkMessage(desc, value, p, depth + 1, w);
}

/** Any JSON value (google.protobuf.Value): nesting and Unicode only. */
function walkJsonValue(value: JsonValue, p: string, level: number, w: Walk): void {
  if (typeof value === "string") {
    if (!value.isWellFormed()) w.v.add(p, "must be valid UTF-8");
    return;
  }
  if (typeof value !== "object" || value === null) return;
  if (level + 1 > w.limits.maxValueDepth) throw new Refusal(p, `nests objects and arrays more than ${w.limits.maxValueDepth} deep`);
  if (Array.isArray(value)) {
    if (value.length > w.limits.maxItems) throw new Refusal(p, `has more than ${w.limits.maxItems} items`);
    for (const item of value) walkJsonValue(item, p, level + 1, w);
    return;
  }
  let n = 0;
  for (const k in value) {
    if (++n > w.limits.maxItems) throw new Refusal(p, `has more than ${w.limits.maxItems} keys`);
    if (!k.isWellFormed()) w.v.add(p, "must be valid UTF-8");
    walkJsonValue(value[k]!, p, level + 1, w);
  }
}

function walkEnum(f: DescField, value: JsonValue, p: string, w: Walk): void {
  if (!w.strict) return;
  const e = f.enum!;
  if (typeof value === "number" ? Number.isInteger(value) : typeof value === "string" && e.values.some((x) => x.name === value)) return;
  w.v.add(p, `must be one of ${e.values.map((x) => x.name).join(", ")}`);
}

function walkScalar(t: ScalarType, value: JsonValue, p: string, w: Walk): void {
  if (typeof value === "string" && !value.isWellFormed()) {
    w.v.add(p, "must be valid UTF-8");
    return;
  }
  if (!w.strict) return;
  switch (t) {
    case ScalarType.STRING:
      if (typeof value !== "string") w.v.add(p, "must be a string");
      return;
    case ScalarType.BYTES:
      if (typeof value !== "string") w.v.add(p, "must be a base64 string");
      return;
    case ScalarType.BOOL:
      if (typeof value !== "boolean") w.v.add(p, "must be true or false");
      return;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      if (typeof value === "number" || (typeof value === "string" && /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|NaN|-?Infinity)$/.test(value))) return;
      w.v.add(p, "must be a number");
      return;
    default:
      if ((typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && /^-?\d{1,20}$/.test(value))) return;
      w.v.add(p, "must be an integer");
  }
}

/** The contract's range rule of a timestamp field (`gte`/`lt`), in the validator's words. */
function rangeWords(f: DescField): string | undefined {
  const rules = getOption(f, fieldRules);
  if (rules.type.case !== "timestamp") return undefined;
  const { greaterThan: lo, lessThan: hi } = rules.type.value;
  if (lo.case !== "gte" || hi.case !== "lt") return undefined;
  const iso = (t: Timestamp) => new Date(timestampMs(t)).toISOString().replace(".000Z", "Z");
  return outsideRange(iso(lo.value), iso(hi.value));
}
