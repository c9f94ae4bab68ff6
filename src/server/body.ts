import type { IncomingMessage, ServerResponse } from "node:http";
import { constants, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";

/** How request bodies must arrive. */
export interface BodyLimits {
  /** Bodies (REST) and messages (RPC) larger than this are refused. */
  maxBytes: number;
  /** A body must arrive at least this fast, measured over each `rateWindowMs`… */
  minBytesPerSecond: number;
  rateWindowMs: number;
}

/** The body is larger than allowed: REST answers 413, the RPC protocols RESOURCE_EXHAUSTED. */
export class BodyTooLarge extends Error {}

/** The declared length alone is over the limit: refuse before reading (or authenticating). */
export function declaredTooLarge(req: IncomingMessage | Http2ServerRequest, max: number): boolean {
  const declared = declaredLength(req);
  return declared !== undefined && declared > max;
}

/** The body's declared `content-length`, if it has one. */
export function declaredLength(req: IncomingMessage | Http2ServerRequest): number | undefined {
  const declared = Number(req.headers["content-length"]);
  return Number.isFinite(declared) ? declared : undefined;
}

/**
 * Reads a whole body, refusing it as soon as it passes `maxBytes`, and cutting off a client that
 * sends it slower than `minBytesPerSecond` (the connection for HTTP/1.1, the stream for HTTP/2):
 * a slow sender otherwise holds a request, its memory and its connection open for as long as it
 * likes. `pay`, if given, is awaited with the size so far as each chunk arrives, before it is
 * kept: what it throws (a refusal) ends the read and is thrown as is.
 */
export async function readBody(req: IncomingMessage | Http2ServerRequest, limits: BodyLimits, pay?: (size: number) => Promise<void>): Promise<Buffer> {
  if (declaredTooLarge(req, limits.maxBytes)) throw new BodyTooLarge();
  sendContinue(req);
  const chunks: Buffer[] = [];
  let slow = false;
  let size = 0;
  let sinceCheck = 0;
  let unpaid: unknown;
  const need = (limits.minBytesPerSecond * limits.rateWindowMs) / 1000;
  const timer = setInterval(() => {
    if (sinceCheck < need) {
      slow = true;
      // HTTP/2: reset the stream (destroy() left the reset unsent when sessions ran over a JS
      // relay; close() works either way); HTTP/1.1: close the connection.
      if ("stream" in req) req.stream.close(constants.NGHTTP2_CANCEL);
      else req.destroy();
    }
    sinceCheck = 0;
  }, limits.rateWindowMs);
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      sinceCheck += chunk.length;
      if (size > limits.maxBytes) throw new BodyTooLarge();
      if (pay) {
        try {
          await pay(size);
        } catch (err) {
          unpaid = err;
          throw err;
        }
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof BodyTooLarge || (unpaid !== undefined && err === unpaid)) throw err;
    // The client went away or was cut off: nothing to answer, and not our fault.
    throw new ConnectError(slow ? "cut off: the request body arrived too slowly" : "the client closed the request", Code.Canceled);
  } finally {
    clearInterval(timer);
  }
  return Buffer.concat(chunks);
}

/**
 * The client's address: the socket's, or for a session on a stream Node wrapped in a socket of
 * its own (JSStreamSocket, which knows no address) that stream's.
 */
export function clientAddress(req: IncomingMessage | Http2ServerRequest): string {
  const socket = req.socket as (typeof req.socket & { stream?: { remoteAddress?: string } }) | undefined;
  return socket?.remoteAddress ?? socket?.stream?.remoteAddress ?? "unknown";
}

/** Requests whose client waits for `100 Continue` before it sends the body (`Expect`). */
const awaitingContinue = new WeakMap<IncomingMessage | Http2ServerRequest, ServerResponse | Http2ServerResponse>();

/**
 * Holds back the `100 Continue` a request asks for (Node sends it at once unless the server
 * listens for `checkContinue`) until its body is about to be read: a request refused from its
 * headers (no key, a 429, a 404) is answered without inviting the client to upload the body.
 */
export function continueWhenRead(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void {
  awaitingContinue.set(req, res);
}

function sendContinue(req: IncomingMessage | Http2ServerRequest): void {
  const res = awaitingContinue.get(req);
  if (!res) return;
  awaitingContinue.delete(req);
  if (!res.headersSent) res.writeContinue();
}
