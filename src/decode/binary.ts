import { isUtf8 } from "node:buffer";
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { JSON_VALUE_TYPES, Refusal, type DecodeLimits } from "./limits.js";

/*
 * Walks a protobuf binary message against its descriptor without building it, and throws a
 * Refusal naming the field (snake_case path, e.g. `events[3].id`) at the first problem:
 * malformed wire data (a bad varint, wire type 6 or 7, field number 0, a stray end-group, a
 * length past the end), a known field sent with the wrong wire type, a string that is not UTF-8
 * (protobuf's rule for `string`; decoders would otherwise replace the bytes and make different
 * ids one), or more nesting or items than the limits allow. What passes decodes without error
 * and at bounded cost. Unknown fields are skipped, as protobuf requires.
 */

const WT_VARINT = 0;
const WT_I64 = 1;
const WT_LEN = 2;
const WT_SGROUP = 3;
const WT_EGROUP = 4;
const WT_I32 = 5;

interface Cursor {
  buf: Uint8Array;
  pos: number;
}

export function checkBinary(desc: DescMessage, buf: Uint8Array, limits: DecodeLimits): void {
  const c: Cursor = { buf, pos: 0 };
  walkMessage(desc, c, buf.length, "", 0, 0, limits);
}

const at = (path: string) => path || "body";

function readVarint(c: Cursor, end: number, path: string): number {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= end) throw new Refusal(at(path), "is truncated (a varint runs past the end)");
    const b = c.buf[c.pos++]!;
    // Only lengths and tags need the value; 2^53 is far beyond any length in a 1 MiB body.
    if (i < 8) value += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) return value;
  }
  throw new Refusal(at(path), "is not valid protobuf (a varint longer than 10 bytes)");
}

function readLength(c: Cursor, end: number, path: string): number {
  const len = readVarint(c, end, path);
  if (len > end - c.pos) throw new Refusal(at(path), "is truncated (a length runs past the end)");
  return len;
}

function skipFixed(c: Cursor, end: number, n: number, path: string): void {
  if (end - c.pos < n) throw new Refusal(at(path), "is truncated");
  c.pos += n;
}

// Field lookup by number, derived once per descriptor.
const byNumber = new WeakMap<DescMessage, Map<number, DescField>>();
function fieldOf(desc: DescMessage, no: number): DescField | undefined {
  let m = byNumber.get(desc);
  if (!m) {
    m = new Map(desc.fields.map((f) => [f.number, f]));
    byNumber.set(desc, m);
  }
  return m.get(no);
}

function scalarWireType(t: ScalarType): number {
  switch (t) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WT_I64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WT_I32;
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WT_LEN;
    default:
      return WT_VARINT;
  }
}

function walkMessage(desc: DescMessage, c: Cursor, end: number, path: string, depth: number, valueDepth: number, limits: DecodeLimits): void {
  if (depth > limits.maxMessageDepth) throw new Refusal(at(path), `is nested more than ${limits.maxMessageDepth} messages deep`);
  const isValue = JSON_VALUE_TYPES.has(desc.typeName);
  // Struct and ListValue are a JSON object or array: one level of `maxValueDepth`.
  if (desc.typeName === "google.protobuf.Struct" || desc.typeName === "google.protobuf.ListValue") {
    valueDepth++;
    if (valueDepth > limits.maxValueDepth) throw new Refusal(at(path), `nests objects and arrays more than ${limits.maxValueDepth} deep`);
  }
  let counts: Map<number, number> | undefined;
  while (c.pos < end) {
    const tag = readVarint(c, end, path);
    const no = Math.floor(tag / 8);
    const wt = tag % 8;
    if (no === 0) throw new Refusal(at(path), "is not valid protobuf (field number 0)");
    if (wt === WT_EGROUP) throw new Refusal(at(path), "is not valid protobuf (an end-group without a start)");
    if (wt > WT_I32) throw new Refusal(at(path), `is not valid protobuf (wire type ${wt})`);
    const f = fieldOf(desc, no);
    if (!f) {
      skipUnknown(c, end, wt, no, path, depth, limits);
      continue;
    }
    // Inside a JSON value the path stays at the field that holds it (`properties`).
    const base = isValue ? path : path ? `${path}.${f.name}` : f.name;
    if (f.fieldKind === "list" || f.fieldKind === "map") {
      counts ??= new Map();
      const n = (counts.get(no) ?? 0) + 1;
      if (n > limits.maxItems) throw new Refusal(base, `has more than ${limits.maxItems} items`);
      counts.set(no, n);
      const ip = isValue || f.fieldKind === "map" ? base : `${base}[${n - 1}]`;
      if (f.fieldKind === "map") walkMapEntry(f, c, end, wt, ip, depth, valueDepth, limits);
      else if (f.listKind === "message") walkNested(f.message, c, end, wt, ip, depth, valueDepth, limits);
      else {
        const elemWt = f.listKind === "enum" ? WT_VARINT : scalarWireType(f.scalar);
        if (wt === WT_LEN && elemWt !== WT_LEN) {
          const added = walkPacked(c, end, elemWt, base) - 1;
          if (n + added > limits.maxItems) throw new Refusal(base, `has more than ${limits.maxItems} items`);
          counts.set(no, n + added);
        } else walkScalar(f.listKind === "enum" ? undefined : f.scalar, c, end, wt, elemWt, ip);
      }
      continue;
    }
    if (f.fieldKind === "message") walkNested(f.message, c, end, wt, base, depth, valueDepth, limits);
    else walkScalar(f.fieldKind === "enum" ? undefined : f.scalar, c, end, wt, f.fieldKind === "enum" ? WT_VARINT : scalarWireType(f.scalar), base);
  }
}

function walkNested(desc: DescMessage, c: Cursor, end: number, wt: number, path: string, depth: number, valueDepth: number, limits: DecodeLimits): void {
  if (wt !== WT_LEN) throw new Refusal(at(path), "has the wrong wire type for a message");
  const len = readLength(c, end, path);
  const stop = c.pos + len;
  walkMessage(desc, c, stop, path, depth + 1, valueDepth, limits);
}

function walkScalar(t: ScalarType | undefined, c: Cursor, end: number, wt: number, expected: number, path: string): void {
  if (wt !== expected) throw new Refusal(at(path), "has the wrong wire type for its type");
  if (wt === WT_LEN && t === ScalarType.STRING) {
    const len = readLength(c, end, path);
    if (!isUtf8(c.buf.subarray(c.pos, c.pos + len))) throw new Refusal(at(path), "must be valid UTF-8");
    c.pos += len;
  } else skipValue(c, end, wt, path);
}

/** A packed run of numbers; returns how many it holds. */
function walkPacked(c: Cursor, end: number, elemWt: number, path: string): number {
  const len = readLength(c, end, path);
  const stop = c.pos + len;
  if (elemWt === WT_I64 || elemWt === WT_I32) {
    const size = elemWt === WT_I64 ? 8 : 4;
    if (len % size !== 0) throw new Refusal(at(path), "is truncated (a packed field)");
    c.pos = stop;
    return len / size;
  }
  let n = 0;
  while (c.pos < stop) {
    readVarint(c, stop, path);
    n++;
  }
  return n;
}

function walkMapEntry(f: DescField & { fieldKind: "map" }, c: Cursor, end: number, wt: number, path: string, depth: number, valueDepth: number, limits: DecodeLimits): void {
  if (wt !== WT_LEN) throw new Refusal(at(path), "has the wrong wire type for a map entry");
  const len = readLength(c, end, path);
  const stop = c.pos + len;
  while (c.pos < stop) {
    const tag = readVarint(c, stop, path);
    const no = Math.floor(tag / 8);
    const ewt = tag % 8;
    if (no === 0 || ewt === WT_EGROUP || ewt > WT_I32) throw new Refusal(at(path), "is not valid protobuf (a map entry)");
    if (no === 1) walkScalar(f.mapKey, c, stop, ewt, scalarWireType(f.mapKey), path);
    else if (no === 2) {
      if (f.mapKind === "message") walkNested(f.message, c, stop, ewt, path, depth, valueDepth, limits);
      else if (f.mapKind === "enum") walkScalar(undefined, c, stop, ewt, WT_VARINT, path);
      else walkScalar(f.scalar, c, stop, ewt, scalarWireType(f.scalar), path);
    } else skipUnknown(c, stop, ewt, no, path, depth, limits);
  }
}

/** Skips an unknown field; groups are followed without recursion, to their matching end. */
function skipUnknown(c: Cursor, end: number, wt: number, no: number, path: string, depth: number, limits: DecodeLimits): void {
  if (wt !== WT_SGROUP) {
    skipValue(c, end, wt, path);
    return;
  }
  const open = [no];
  while (open.length > 0) {
    if (depth + open.length > limits.maxMessageDepth) throw new Refusal(at(path), `is nested more than ${limits.maxMessageDepth} messages deep`);
    const tag = readVarint(c, end, path);
    const gno = Math.floor(tag / 8);
    const gwt = tag % 8;
    if (gno === 0 || gwt > WT_I32) throw new Refusal(at(path), "is not valid protobuf (inside a group)");
    if (gwt === WT_SGROUP) open.push(gno);
    else if (gwt === WT_EGROUP) {
      if (open.pop() !== gno) throw new Refusal(at(path), "is not valid protobuf (a mismatched end-group)");
    } else skipValue(c, end, gwt, path);
  }
}

function skipValue(c: Cursor, end: number, wt: number, path: string): void {
  switch (wt) {
    case WT_VARINT:
      readVarint(c, end, path);
      return;
    case WT_I64:
      skipFixed(c, end, 8, path);
      return;
    case WT_I32:
      skipFixed(c, end, 4, path);
      return;
    default:
      c.pos += readLength(c, end, path);
  }
}
