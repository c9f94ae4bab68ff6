import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { DescMessage } from "@bufbuild/protobuf";
import { Violations } from "../rpc/errors.js";
import { BodyTooLarge } from "../server/body.js";
import { checkBinary } from "./binary.js";
import { checkJson, parseJsonBody } from "./json.js";
import { Refusal, type DecodeLimits } from "./limits.js";

/** How the message is framed and encoded, as the request's protocol says. */
export interface Framing {
  /** gRPC, gRPC-Web and Connect streaming wrap messages in 5-byte envelopes. */
  enveloped: boolean;
  json: boolean;
  /** The compression named by the request, if any (lower case, not identity). */
  encoding: string | undefined;
  /** The largest message allowed once decompressed. */
  maxBytes: number;
}

/**
 * Checks a buffered request body holding one message before the RPC router decodes it (see
 * decode/binary.ts and decode/json.ts); throws an INVALID_ARGUMENT naming the field, or
 * BodyTooLarge. Returns the parsed JSON of a JSON message, so it is not parsed twice.
 */
export function checkRequestMessage(desc: DescMessage, body: Uint8Array, framing: Framing, limits: DecodeLimits): unknown {
  const message = openMessage(body, framing);
  return message === undefined ? undefined : checkMessage(desc, message, framing, limits);
}

/**
 * The message a body holds, its envelope opened and decompressed (INVALID_ARGUMENT naming the
 * field, or BodyTooLarge); undefined for an encoding we do not accept, which the router refuses,
 * naming the ones we do.
 */
export function openMessage(body: Uint8Array, framing: Framing): Uint8Array | undefined {
  if (framing.encoding && !DECODERS.has(framing.encoding)) return undefined;
  return refusingInvalid(() => (framing.enveloped ? singleEnvelope(body, framing) : decompress(body, framing)));
}

/** Checks a message openMessage opened; returns the parsed JSON of a JSON message. */
export function checkMessage(desc: DescMessage, message: Uint8Array, framing: Framing, limits: DecodeLimits): unknown {
  return refusingInvalid(() => {
    if (!framing.json) {
      checkBinary(desc, message, limits);
      return undefined;
    }
    const json = parseJsonBody(message, desc, limits);
    const v = new Violations();
    checkJson(desc, json, limits, v, true);
    v.throwIfAny();
    return json;
  });
}

/** Runs `f`, turning a Refusal into INVALID_ARGUMENT naming its field. */
function refusingInvalid<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof Refusal) new Violations().throwWith(err.violation);
    throw err;
  }
}

function singleEnvelope(body: Uint8Array, framing: Framing): Uint8Array {
  if (body.length === 0) throw new Refusal("body", "holds no message");
  if (body.length < 5) throw new Refusal("body", "is not a valid frame (truncated header)");
  const flags = body[0]!;
  const length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1);
  if (flags & ~1) throw new Refusal("body", `is not a valid frame (flags ${flags})`);
  if (length > body.length - 5) throw new Refusal("body", "is not a valid frame (truncated message)");
  if (length < body.length - 5) throw new Refusal("body", "holds more than one message");
  const payload = body.subarray(5);
  if (flags & 1) {
    if (!framing.encoding) throw new Refusal("body", "is flagged compressed but the request names no encoding");
    return decompress(payload, framing);
  }
  return payload;
}

function decompress(data: Uint8Array, framing: Framing): Uint8Array {
  if (!framing.encoding) return data;
  try {
    // The output limit bounds both the memory and the time a decompression bomb can take.
    return DECODERS.get(framing.encoding)!(data, { maxOutputLength: framing.maxBytes });
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new BodyTooLarge();
    throw new Refusal("body", `is not valid ${framing.encoding} data`);
  }
}

/** The encodings the server accepts (connect-node's gzip and brotli). */
const DECODERS = new Map<string, (data: Uint8Array, opts: { maxOutputLength: number }) => Buffer>([
  ["gzip", gunzipSync],
  ["br", brotliDecompressSync],
]);
