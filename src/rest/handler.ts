import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type ContextValues } from "@connectrpc/connect";
import { callerKey } from "../auth/context.js";
import { checkJson, parseJsonBody } from "../decode/json.js";
import { Refusal, type DecodeLimits } from "../decode/limits.js";
import type { Logger } from "../log.js";
import { BodyTooLarge, clientAddress, declaredLength, declaredTooLarge, type BodyLimits } from "../server/body.js";
import type { Gate } from "../server/gate.js";
import { Refused } from "../server/refused.js";
import type { RefusalLog } from "../server/refusal-log.js";
import type { UnaryCaller } from "../server/in-process.js";
import { tooLargeMessage } from "../server/wire.js";
import { Violations, violationsOf } from "../rpc/errors.js";
import { decodeMessage, encodeMessage, queryValue } from "./codec.js";
import type { RestRoute } from "./routes.js";
import { codeName, errorHeaders, httpStatus } from "./status.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

export interface RestOptions {
  routes: RestRoute[];
  /** Runs the RPC through the same interceptors and handlers as every other protocol. */
  call: UnaryCaller;
  gate: Gate;
  body: BodyLimits;
  decode: DecodeLimits;
  log: Logger;
  /** Where the gate's refusals are logged (counted rather than logged in a flood). */
  refusals: RefusalLog;
  /** The context a call starts with, made when the request arrives (before the gate's awaits). */
  arrival?: () => ContextValues;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * Serves the `/api/v1` REST routes. Returns false for a path that is no REST route, so the
 * caller can hand the request to the RPC protocols.
 */
export function createRestHandler(opts: RestOptions) {
  return async function handle(req: Req, res: Res, requestId: string): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const candidates = opts.routes.filter((r) => r.pattern.test(url.pathname));
    if (candidates.length === 0) {
      if (!url.pathname.startsWith("/api/")) return false;
      sendError(res, new HttpError(404, "not_found", `no route ${url.pathname}`), opts.log, requestId);
      return true;
    }
    try {
      const route = candidates.find((r) => r.httpMethod === req.method);
      if (!route) {
        // Keyless, like a 404: on the client address's bucket (a 429 if it is spent).
        const { headers } = await opts.gate.admit(undefined, undefined, clientAddress(req));
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        res.setHeader("allow", candidates.map((r) => r.httpMethod).join(", "));
        throw new HttpError(405, "method_not_allowed", `use ${candidates.map((r) => r.httpMethod).join(" or ")} for ${url.pathname}`);
      }
      const contextValues = opts.arrival?.() ?? createContextValues();
      // Size, then key, scope and rate limit, all before the body is read.
      if (route.body === "*" && declaredTooLarge(req, opts.body.maxBytes)) throw new BodyTooLarge();
      const auth = req.headers.authorization;
      const admitted = await opts.gate.admit(route.method.parent.typeName, typeof auth === "string" ? auth : undefined, clientAddress(req), declaredLength(req));
      for (const [k, v] of Object.entries(admitted.headers)) res.setHeader(k, v);
      const charge = opts.gate.bodyCharge(admitted);
      const input = await readInput(route, req, url, opts, () => charge.read(req, opts.body).finally(() => charge.settle(res)));
      const header = new Headers({ "x-request-id": requestId });
      if (typeof auth === "string") header.set("authorization", auth);
      if (admitted.caller) contextValues.set(callerKey, admitted.caller);
      const abort = new AbortController();
      res.once("close", () => abort.abort());
      const out = await opts.call(route.method, input, { header, url: url.href, requestMethod: req.method ?? "GET", signal: abort.signal, contextValues });
      send(res, 200, { success: true, ...encodeMessage(route.method.output, out as unknown as Record<string, unknown>) });
    } catch (err) {
      if (err instanceof Refused) {
        opts.refusals.refused({ rid: requestId, call: `${req.method} ${url.pathname}`, code: codeName(err.error.code), address: clientAddress(req), error: err.error.rawMessage });
        for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
        sendError(res, err.error, opts.log, requestId);
      } else if (err instanceof BodyTooLarge) {
        sendError(res, new HttpError(413, "payload_too_large", tooLargeMessage(opts.body.maxBytes), "body"), opts.log, requestId);
      } else if (err instanceof ConnectError && err.code === Code.Canceled && res.destroyed) {
        opts.log.info("request abandoned by the client", { rid: requestId });
      } else sendError(res, err, opts.log, requestId);
    }
    return true;
  };
}

/** `read` reads the body (paid for by the caller's bucket, see BodyCharge). */
async function readInput(route: RestRoute, req: Req, url: URL, opts: RestOptions, read: () => Promise<Buffer>) {
  const v = new Violations();
  const match = route.pattern.exec(url.pathname)!;
  const fromPath: JsonObject = {};
  route.pathParams.forEach((name, i) => {
    try {
      fromPath[name] = decodeURIComponent(match[i + 1]!);
    } catch {
      v.add(name, "is not valid percent-encoding");
    }
  });
  // No prototype: a query or body key `__proto__` is a key like any other (and unknown).
  let json: JsonObject = Object.create(null) as JsonObject;
  if (route.body === "*") {
    const body = await read();
    let parsed: unknown;
    try {
      parsed = parseJsonBody(body, route.method.input, opts.decode);
    } catch (err) {
      if (err instanceof Refusal && err.field === "body" && err.description === "is not valid JSON") {
        throw new HttpError(400, "invalid_argument", "the request body is not valid JSON", "body");
      }
      throw err instanceof Refusal ? new Violations().throwWith(err.violation) : err;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new HttpError(400, "invalid_argument", "the request body must be a JSON object", "body");
    }
    json = parsed as JsonObject;
    try {
      // Unicode and nesting; the codec reports unknown fields and types.
      checkJson(route.method.input, json, opts.decode, v, false);
    } catch (err) {
      if (err instanceof Refusal) v.throwWith(err.violation);
      throw err;
    }
    for (const name of route.pathParams) {
      if (Object.hasOwn(json, name) && json[name] !== fromPath[name]) v.add(name, "in the body differs from the URL");
      delete json[name];
    }
  } else {
    for (const [k, val] of queryParams(url, v)) {
      if (Object.hasOwn(json, k)) v.add(k, "must be given once");
      json[k] = queryValue(route.method.input, k, val);
    }
  }
  const msg = decodeMessage(route.method.input, Object.assign(Object.create(null) as JsonObject, json, fromPath), v);
  v.throwIfAny();
  return msg;
}

/**
 * The query's parameters, decoded strictly: URLSearchParams turns percent-encoded bytes that
 * are not UTF-8 into U+FFFD, which would make different values one.
 */
function queryParams(url: URL, v: Violations): [string, string][] {
  const out: [string, string][] = [];
  for (const part of url.search.slice(1).split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const [rawKey, rawValue] = eq < 0 ? [part, ""] : [part.slice(0, eq), part.slice(eq + 1)];
    try {
      out.push([decodeURIComponent(rawKey.replace(/\+/g, " ")), decodeURIComponent(rawValue.replace(/\+/g, " "))]);
    } catch {
      v.add(safeName(rawKey), "must be valid percent-encoded UTF-8");
    }
  }
  return out;
}

/** A parameter name fit to echo: its decodable prefix, or "query". */
function safeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " ")) || "query";
  } catch {
    return "query";
  }
}

function sendError(res: Res, err: unknown, log: Logger, requestId: string): void {
  if (err instanceof HttpError) {
    send(res, err.status, { success: false, error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } });
    return;
  }
  const ce = ConnectError.from(err);
  if (ce.code === Code.Internal || ce.code === Code.Unknown) {
    log.error("request failed", { rid: requestId, error: ce.rawMessage });
  }
  const violations = violationsOf(ce);
  const error: JsonObject = {
    code: codeName(ce.code),
    // Internal details stay in the log.
    message: ce.code === Code.Internal || ce.code === Code.Unknown ? "internal error" : ce.rawMessage,
  };
  if (violations.length > 0) {
    error.field = violations[0]!.field;
    error.violations = violations.map((x) => ({ field: x.field, description: x.description }));
  }
  send(res, httpStatus(ce.code), { success: false, error }, errorHeaders(ce.code));
}

function send(res: Res, status: number, body: JsonObject, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
