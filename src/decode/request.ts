import { createBrotliDecompress, createGunzip, type BrotliOptions, type ZlibOptions } from "node:zlib";
import type { Transform } from "node:stream";
import type { DescMessage } from "@bufbuild/protobuf";
import { Violations } from "../rpc/errors.js";
import { BodyTooLarge } from "../server/body.js";
import { BODY_UNIT_BYTES } from "../server/body-charge.js";
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
 * Pays for a decoded size (the body charge's `cover`): the bytes inflated so far plus the next
 * unit before the inflater may produce it; throws (a refusal) when the bucket cannot pay.
 */
export type PayDecoded = (decodedBytes: number) => Promise<void>;

/** What this process has inflated, in bytes (read by tests: a compressed body inflates no more than it paid for; one addition per 64 KiB). */
export const inflated = { bytes: 0 };

/**
 * Checks a buffered request body holding one message before the RPC router decodes it (see
 * decode/binary.ts and decode/json.ts); throws an INVALID_ARGUMENT naming the field, or
 * BodyTooLarge. Returns the parsed JSON of a JSON message, so it is not parsed twice.
 */
export async function checkRequestMessage(desc: DescMessage, body: Uint8Array, framing: Framing, limits: DecodeLimits, pay: PayDecoded): Promise<unknown> {
  const message = await openMessage(body, framing, pay);
  return message === undefined ? undefined : checkMessage(desc, message, framing, limits);
}

/**
 * The message a body holds, its envelope opened and decompressed (INVALID_ARGUMENT naming the
 * field, or BodyTooLarge); undefined for an encoding we do not accept, which the router refuses,
 * naming the ones we do. A compressed message is inflated a unit at a time, each unit paid for
 * (`pay`) before it is produced: a small compressed body that inflates to a lot (a bomb) is
 * stopped at the first unit its bucket cannot pay for, having inflated no more than was paid.
 */
export async function openMessage(body: Uint8Array, framing: Framing, pay: PayDecoded): Promise<Uint8Array | undefined> {
  if (framing.encoding && !DECODERS.has(framing.encoding)) return undefined;
  const { payload, compressed } = refusingInvalid(() => (framing.enveloped ? singleEnvelope(body, framing) : { payload: body, compressed: framing.encoding !== undefined }));
  if (!compressed) return payload;
  try {
    return await inflate(payload, framing, pay);
  } catch (err) {
    if (err instanceof Refusal) new Violations().throwWith(err.violation);
    throw err;
  }
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

function singleEnvelope(body: Uint8Array, framing: Framing): { payload: Uint8Array; compressed: boolean } {
  if (body.length === 0) throw new Refusal("body", "holds no message");
  if (body.length < 5) throw new Refusal("body", "is not a valid frame (truncated header)");
  const flags = body[0]!;
  const length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1);
  if (flags & ~1) throw new Refusal("body", `is not a valid frame (flags ${flags})`);
  if (length > body.length - 5) throw new Refusal("body", "is not a valid frame (truncated message)");
  if (length < body.length - 5) throw new Refusal("body", "holds more than one message");
  if (flags & 1 && !framing.encoding) throw new Refusal("body", "is flagged compressed but the request names no encoding");
  return { payload: body.subarray(5), compressed: (flags & 1) === 1 };
}

/**
 * Inflates `data` in steps of one body unit (the inflater's output chunk; it produces the next
 * one only once the previous one is taken), paying before each step for what the step may
 * produce: a whole chunk means more may follow, so the next unit is paid before the chunk is
 * taken. (A message whose decoded size is an exact number of units pays for one unit more.) Over
 * `maxBytes` it is BodyTooLarge, once one chunk past the limit was produced.
 */
async function inflate(data: Uint8Array, framing: Framing, pay: PayDecoded): Promise<Uint8Array> {
  const z = DECODERS.get(framing.encoding!)!({ chunkSize: BODY_UNIT_BYTES });
  let failed: Error | undefined;
  let ended = false;
  z.on("error", (err: Error) => (failed = err));
  z.once("end", () => (ended = true));
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    z.end(data);
    for (;;) {
      if (failed) throw new Refusal("body", `is not valid ${framing.encoding} data`);
      const waiting = z.readableLength;
      if (waiting === 0) {
        if (ended) break;
        // Nothing produced yet, or the end: read() gives the end its event (it produces no more
        // than was paid for: the last chunk taken was partial, or its successor is paid).
        if (z.read() === null) await nextEvent(z);
        continue;
      }
      if (size + waiting > framing.maxBytes) throw new BodyTooLarge();
      // Taking this chunk lets the inflater produce the next: paid for first.
      await pay(Math.min(size + waiting + (waiting >= BODY_UNIT_BYTES ? BODY_UNIT_BYTES : 0), framing.maxBytes));
      const chunk = z.read() as Buffer;
      size += chunk.length;
      inflated.bytes += chunk.length;
      chunks.push(chunk);
    }
  } finally {
    // Produced and not taken: a chunk whose successor its bucket could not pay for.
    inflated.bytes += z.readableLength;
    z.destroy();
  }
  return Buffer.concat(chunks, size);
}

/** The inflater's next `readable`, `end` or `error`, leaving no listener behind (one wait per unit). */
function nextEvent(z: Transform): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      z.off("readable", done).off("end", done).off("error", done);
      resolve();
    };
    z.on("readable", done).on("end", done).on("error", done);
  });
}

/** The encodings the server accepts (connect-node's gzip and brotli), as inflating streams. */
const DECODERS = new Map<string, (opts: ZlibOptions & BrotliOptions) => Transform>([
  ["gzip", createGunzip],
  ["br", createBrotliDecompress],
]);
