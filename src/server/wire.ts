import type { IncomingHttpHeaders } from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus, errorToJson, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";

/** How an RPC request is framed: which protocol, and JSON or binary messages. */
export interface Wire {
  protocol: "connect" | "connect-stream" | "grpc" | "grpc-web";
  json: boolean;
  /** The request's content type, echoed on error responses. */
  contentType: string;
}

/** Reads the protocol from the method and content type; undefined when none of ours. */
export function wireOf(method: string | undefined, headers: IncomingHttpHeaders, query: URLSearchParams): Wire | undefined {
  if (method === "GET") {
    // Connect's GET for side-effect-free methods: the message travels in the query.
    return query.has("message") ? { protocol: "connect", json: query.get("encoding") === "json", contentType: "application/json" } : undefined;
  }
  const ct = (headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  let m = /^application\/grpc-web(?:\+(proto|json))?$/.exec(ct);
  if (m) return { protocol: "grpc-web", json: m[1] === "json", contentType: ct };
  m = /^application\/grpc(?:\+(proto|json))?$/.exec(ct);
  if (m) return { protocol: "grpc", json: m[1] === "json", contentType: ct };
  m = /^application\/connect\+(proto|json)$/.exec(ct);
  if (m) return { protocol: "connect-stream", json: m[1] === "json", contentType: ct };
  m = /^application\/(proto|json)$/.exec(ct);
  if (m) return { protocol: "connect", json: m[1] === "json", contentType: ct };
  return undefined;
}

/** The header that names a compressed body's or message's encoding, per protocol. */
export function encodingOf(wire: Wire, headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  const raw =
    wire.protocol === "grpc" || wire.protocol === "grpc-web"
      ? headers["grpc-encoding"]
      : wire.protocol === "connect-stream"
        ? headers["connect-content-encoding"]
        : headers["content-encoding"] ?? query.get("compression") ?? undefined;
  const v = typeof raw === "string" ? raw.trim().toLowerCase() : undefined;
  return v && v !== "identity" ? v : undefined;
}

type Res = {
  headersSent: boolean;
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  end(body?: Uint8Array | string): unknown;
  addTrailers(trailers: Record<string, string>): void;
  getHeaders(): Record<string, unknown>;
};

/**
 * Answers an RPC with an error before the router has seen it (refused by the gate, too large,
 * undecodable), framed as its protocol requires: Connect unary as a JSON error with its HTTP
 * status, Connect streaming as an end-of-stream message, gRPC and gRPC-Web as a trailers-only
 * response (grpc-status, grpc-message and the details in the headers).
 */
export function writeRpcError(res: Res, wire: Wire | undefined, err: ConnectError, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (!wire || wire.protocol === "connect") {
    const body = errorToJsonBytes(err, {});
    res.writeHead(codeToHttpStatus(err.code), { ...extra, "content-type": "application/json", "content-length": body.byteLength });
    res.end(body);
    return;
  }
  if (wire.protocol === "connect-stream") {
    const json = new TextEncoder().encode(JSON.stringify({ error: errorToJson(err, {}) }));
    const frame = new Uint8Array(5 + json.byteLength);
    frame[0] = 0b10; // end-stream flag
    new DataView(frame.buffer).setUint32(1, json.byteLength);
    frame.set(json, 5);
    res.writeHead(200, { ...extra, "content-type": wire.contentType, "content-length": frame.byteLength });
    res.end(frame);
    return;
  }
  const trailer: Record<string, string> = {};
  setTrailerStatus(new Headers(), err).forEach((value, key) => (trailer[key] = value));
  if (wire.protocol === "grpc") {
    // Real trailers: grpc-js reads a status from the headers only when they end the stream,
    // which Node's compatibility API never does.
    res.writeHead(200, { ...extra, "content-type": wire.contentType });
    res.addTrailers(trailer);
    res.end();
    return;
  }
  // gRPC-Web: the trailers travel as the body's last frame (flag 0x80).
  const text = new TextEncoder().encode(Object.entries(trailer).map(([k, v]) => `${k}: ${v}\r\n`).join(""));
  const frame = new Uint8Array(5 + text.byteLength);
  frame[0] = 0x80;
  new DataView(frame.buffer).setUint32(1, text.byteLength);
  frame.set(text, 5);
  res.writeHead(200, { ...extra, "content-type": wire.contentType, "content-length": frame.byteLength });
  res.end(frame);
}

export const tooLargeMessage = (max: number) => `the request body must be at most ${max} bytes`;

/** An RPC body over the limit: RESOURCE_EXHAUSTED, with the message REST's 413 carries too. */
export const rpcTooLarge = (max: number) => new ConnectError(tooLargeMessage(max), Code.ResourceExhausted);
