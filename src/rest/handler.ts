import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "../log.js";
import type { UnaryCaller } from "../server/in-process.js";
import { Violations, violationsOf } from "../rpc/errors.js";
import { decodeMessage, encodeMessage } from "./codec.js";
import type { RestRoute } from "./routes.js";
import { codeName, errorHeaders, httpStatus } from "./status.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

export interface RestOptions {
  routes: RestRoute[];
  /** Runs the RPC through the same interceptors and handlers as every other protocol. */
  call: UnaryCaller;
  maxBodyBytes: number;
  log: Logger;
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
        res.setHeader("allow", candidates.map((r) => r.httpMethod).join(", "));
        throw new HttpError(405, "method_not_allowed", `use ${candidates.map((r) => r.httpMethod).join(" or ")} for ${url.pathname}`);
      }
      const input = await readInput(route, req, url, opts.maxBodyBytes);
      const header = new Headers({ "x-request-id": requestId });
      const auth = req.headers.authorization;
      if (typeof auth === "string") header.set("authorization", auth);
      const abort = new AbortController();
      res.once("close", () => abort.abort());
      const out = await opts.call(route.method, input, { header, url: url.href, requestMethod: req.method ?? "GET", signal: abort.signal });
      send(res, 200, { success: true, ...encodeMessage(route.method.output, out as unknown as Record<string, unknown>) });
    } catch (err) {
      sendError(res, err, opts.log, requestId);
    }
    return true;
  };
}

async function readInput(route: RestRoute, req: Req, url: URL, maxBodyBytes: number) {
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
  let json: JsonObject;
  if (route.body === "*") {
    const body = await readBody(req, maxBodyBytes);
    let parsed: unknown;
    try {
      parsed = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
    } catch {
      throw new HttpError(400, "invalid_argument", "the request body is not valid JSON", "body");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new HttpError(400, "invalid_argument", "the request body must be a JSON object", "body");
    }
    json = parsed as JsonObject;
    for (const name of route.pathParams) {
      if (name in json && json[name] !== fromPath[name]) v.add(name, "in the body differs from the URL");
      delete json[name];
    }
  } else {
    json = {};
    for (const [k, val] of url.searchParams) {
      if (k in json) v.add(k, "must be given once");
      json[k] = val;
    }
  }
  const msg = decodeMessage(route.method.input, { ...json, ...fromPath }, v);
  v.throwIfAny();
  return msg;
}

async function readBody(req: Req, max: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw tooLarge(max);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, "payload_too_large", `the request body must be at most ${max} bytes`, "body");
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
