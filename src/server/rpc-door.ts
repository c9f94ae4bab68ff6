import type { IncomingMessage, ServerResponse } from "node:http";
import type { DescMessage } from "@bufbuild/protobuf";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { createContextValues, type ContextValues, type ConnectRouter, type ConnectRouterOptions, Code, ConnectError, createConnectRouter } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { callerKey } from "../auth/context.js";
import { checkMessage, checkRequestMessage, openMessage, type Framing } from "../decode/request.js";
import type { DecodeLimits } from "../decode/limits.js";
import type { Logger } from "../log.js";
import { BodyTooLarge, clientAddress, declaredLength, declaredTooLarge, type BodyLimits } from "./body.js";
import type { Gate } from "./gate.js";
import { Refused } from "./refused.js";
import { codeName } from "../rest/status.js";
import type { RefusalLog } from "./refusal-log.js";
import { encodingOf, rpcTooLarge, wireOf, writeRpcError, type Wire } from "./wire.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

export interface RpcDoorOptions extends Pick<ConnectRouterOptions, "interceptors" | "shutdownSignal"> {
  routes: (router: ConnectRouter) => void;
  gate: Gate;
  body: BodyLimits;
  decode: DecodeLimits;
  log: Logger;
  /** Where the gate's refusals are logged (counted rather than logged in a flood). */
  refusals: RefusalLog;
  /** The context a call starts with, made when the request arrives (before the gate's awaits). */
  arrival?: () => ContextValues;
}

/**
 * gRPC, gRPC-Web and Connect, in the order a request's cost demands: the size it declares, then
 * the gate (key, scope, rate limit) from the headers alone, then the body, paid for by its size
 * from the bucket the gate drew on (BodyCharge) and read with a size and rate limit, then a
 * check of its framing and message (a compressed one paid for by its decoded size first) that
 * refuses anything undecodable or too deep as INVALID_ARGUMENT naming the field, and only then
 * the Connect router, which decodes
 * and runs the interceptors and handler. (connect-node's adapter reads and decodes before any
 * interceptor runs, and reports undecodable protobuf as INTERNAL.)
 */
export function createRpcDoor(opts: RpcDoorOptions) {
  const router = createConnectRouter({
    interceptors: opts.interceptors,
    shutdownSignal: opts.shutdownSignal,
    readMaxBytes: opts.body.maxBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
    // Unknown JSON fields are refused, as REST refuses them (decode/json.ts names them first).
    jsonOptions: { ignoreUnknownFields: false },
  });
  opts.routes(router);
  const handlers = new Map(router.handlers.map((h) => [h.requestPath, h]));

  const handle = async function handle(req: Req, res: Res, rid: string): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const handler = handlers.get(url.pathname);
    if (!handler) {
      res.writeHead(404);
      res.end();
      return;
    }
    const wire = wireOf(req.method, req.headers, url.searchParams);
    const rpc = `${handler.service.typeName}/${handler.method.name}`;
    let wroteEarly = false;
    const contextValues = opts.arrival?.() ?? createContextValues();
    try {
      if (declaredTooLarge(req, opts.body.maxBytes)) throw new BodyTooLarge();
      const address = clientAddress(req);
      const auth = req.headers.authorization;
      const admitted = await opts.gate.admit(handler.service.typeName, typeof auth === "string" ? auth : undefined, address, declaredLength(req));
      for (const [k, v] of Object.entries(admitted.headers)) res.setHeader(k, v);
      if (admitted.caller) contextValues.set(callerKey, admitted.caller);
      const uReq = universalRequestFromNodeRequest(req, res, undefined, contextValues);
      const single = handler.method.methodKind === "unary" || handler.method.methodKind === "server_streaming";
      const framing = wire && {
        enveloped: wire.protocol !== "connect",
        json: wire.json,
        encoding: encodingOf(wire, req.headers, url.searchParams),
        maxBytes: opts.body.maxBytes,
      };
      // Streams of requests (reflection) go to the router as they come, each message checked
      // once it is whole and paid for as its bytes arrive; the router bounds each one's size.
      const charge = opts.gate.bodyCharge(admitted);
      const payDecoded = (n: number) => charge.cover(n);
      if (framing && !single && framing.enveloped) {
        uReq.body = checkedEnvelopes(uReq.body as AsyncIterable<Uint8Array>, handler.method.input, framing, opts.decode, payDecoded);
      }
      if (framing && single) {
        let parsed: unknown;
        if (req.method === "GET") {
          await checkRequestMessage(handler.method.input, queryMessage(url.searchParams), framing, opts.decode, payDecoded).finally(() => charge.settle(res));
        } else {
          const body = await charge.read(req, opts.body).finally(() => charge.settle(res));
          // A compressed message is paid for by its decoded size too, unit by unit as it is
          // inflated (the charge is the larger of the two sizes), before it is checked.
          const message = await openMessage(body, framing, payDecoded).finally(() => charge.settle(res));
          parsed = message && checkMessage(handler.method.input, message, framing, opts.decode);
          // A checked Connect JSON message goes to the router parsed; everything else as bytes.
          uReq.body = wire.protocol === "connect" && wire.json && parsed !== undefined ? (parsed as typeof uReq.body) : createAsyncIterable([body]);
        }
      }
      wroteEarly = true;
      const uRes = await handler(uReq);
      await universalResponseToNodeResponse(uRes, res);
    } catch (err) {
      if (wroteEarly) {
        // The router answered; only writing its answer failed (the client left).
        opts.log.debug("rpc response not delivered", { rid, rpc, error: ConnectError.from(err).rawMessage });
        return;
      }
      refuse(req, res, wire, err, opts, rid, rpc);
    }
  };
  /** Whether `path` names one of the RPC methods served. */
  const serves = (path: string) => handlers.has(path);
  return Object.assign(handle, { serves });
}

/**
 * A stream of enveloped request messages, paid for (`pay`, with the bytes received so far, and
 * the decoded bytes of its compressed messages on top) as they arrive and each checked
 * (decode/request.ts) as it completes, so a malformed one ends the call with INVALID_ARGUMENT
 * naming the field rather than a decoder's INTERNAL; a message over the size limit ends it with
 * RESOURCE_EXHAUSTED before it is read.
 */
async function* checkedEnvelopes(chunks: AsyncIterable<Uint8Array>, input: DescMessage, framing: Framing, limits: DecodeLimits, pay: (bytes: number) => Promise<void>): AsyncIterable<Uint8Array> {
  let received = 0;
  let decoded = 0;
  const paying = async (bytes: number) => {
    try {
      await pay(bytes);
    } catch (err) {
      // Mid-stream the answer is the call's status: RESOURCE_EXHAUSTED, as for one message.
      throw err instanceof Refused ? err.error : err;
    }
  };
  const check = async (frame: Uint8Array) => {
    try {
      const message = await openMessage(frame, framing, (n) => paying(received + decoded + n));
      if (message === undefined) return;
      if (frame[0]! & 1) decoded += message.length;
      checkMessage(input, message, framing, limits);
    } catch (err) {
      throw err instanceof BodyTooLarge ? rpcTooLarge(framing.maxBytes) : err;
    }
  };
  let buf = Buffer.alloc(0);
  for await (const chunk of chunks) {
    received += chunk.length;
    await paying(received + decoded);
    buf = buf.length > 0 ? Buffer.concat([buf, chunk]) : Buffer.from(chunk);
    while (buf.length >= 5) {
      const length = buf.readUInt32BE(1);
      if (length > framing.maxBytes) throw rpcTooLarge(framing.maxBytes);
      if (buf.length < 5 + length) break;
      const frame = buf.subarray(0, 5 + length);
      await check(frame);
      yield frame;
      buf = buf.subarray(5 + length);
    }
  }
  // What is left is a truncated frame: refused the way a single message's would be.
  if (buf.length > 0) await check(buf);
}

/** The message of a Connect GET: `message`, base64url when `base64=1`. */
function queryMessage(q: URLSearchParams): Uint8Array {
  const m = q.get("message") ?? "";
  return q.get("base64") === "1" ? Buffer.from(m, "base64url") : Buffer.from(m, "utf8");
}

function refuse(req: Req, res: Res, wire: Wire | undefined, err: unknown, opts: RpcDoorOptions, rid: string, rpc: string): void {
  if (err instanceof Refused) {
    opts.refusals.refused({ rid, call: rpc, code: codeName(err.error.code), address: clientAddress(req), error: err.error.rawMessage });
    writeRpcError(res, wire, err.error, err.headers);
    return;
  }
  let ce = err instanceof BodyTooLarge ? rpcTooLarge(opts.body.maxBytes) : ConnectError.from(err);
  if (ce.code === Code.Canceled) {
    opts.log.info("rpc", { rid, rpc, code: ce.code, error: ce.rawMessage });
    return;
  }
  const level = ce.code === Code.Internal || ce.code === Code.Unknown ? "error" : "info";
  opts.log[level]("rpc", { rid, rpc, code: ce.code, error: ce.rawMessage, refused: true });
  if (ce.code === Code.Internal || ce.code === Code.Unknown) ce = new ConnectError("internal error", ce.code);
  writeRpcError(res, wire, ce);
}
