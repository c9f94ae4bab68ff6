// Raw requests for the hostile-input suite: exact bytes on every protocol, and the outcome read
// back the same way whatever the protocol (code name, REST status, named fields, headers).
import { connect as h2connect, type ClientHttp2Session } from "node:http2";
import { connect } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { errorFromJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { BadRequestSchema, RetryInfoSchema } from "../../gen/es/google/rpc/error_details_pb.js";
import { startService, type TestService } from "../helpers/service.js";

export type RpcProtocol = "connect-json" | "connect-binary" | "grpc" | "grpc-web";
export const RPC_PROTOCOLS: RpcProtocol[] = ["connect-json", "connect-binary", "grpc", "grpc-web"];
export const BINARY_PROTOCOLS: RpcProtocol[] = ["connect-binary", "grpc", "grpc-web"];

export interface Answer {
  /** snake_case code name ("ok" on success) */
  code: string;
  /** HTTP status (REST and Connect unary carry the code in it) */
  status: number;
  message: string;
  /** BadRequest field violations (REST: error.violations) */
  fields: string[];
  headers: Headers;
  /** google.rpc.RetryInfo delay in seconds, when present */
  retryDelay?: number;
  /** The successful response body, parsed (REST, Connect JSON) */
  body?: unknown;
}

const codeName = (c: Code) => Code[c]!.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();

function fromConnectError(err: ConnectError, status: number, headers: Headers): Answer {
  const fields = err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
  const retry = err.findDetails(RetryInfoSchema)[0];
  return {
    code: codeName(err.code),
    status,
    message: err.rawMessage,
    fields,
    headers,
    retryDelay: retry?.retryDelay ? Number(retry.retryDelay.seconds) : undefined,
  };
}

/** A gRPC / gRPC-Web / Connect-streaming frame. */
export function frame(message: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

export interface CallOptions {
  key?: string;
  headers?: Record<string, string>;
  /** Send the body as is (default: gRPC and gRPC-Web get it wrapped in one frame). */
  raw?: boolean;
}

/** One RPC (path `misar.analytics.v1.TrackService/TrackEvent`) with an exact body. */
export async function callRpc(svc: TestService, protocol: RpcProtocol, path: string, body: Uint8Array | string, opts: CallOptions = {}): Promise<Answer> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (protocol === "grpc") return grpc(svc, path, opts.raw ? bytes : frame(bytes), headers);
  const contentType = { "connect-json": "application/json", "connect-binary": "application/proto", "grpc-web": "application/grpc-web+proto" }[protocol];
  const sent = protocol === "grpc-web" && !opts.raw ? frame(bytes) : bytes;
  const res = await fetch(`${svc.url}/${path}`, { method: "POST", headers: { "content-type": contentType, ...headers }, body: sent });
  const data = new Uint8Array(await res.arrayBuffer());
  if (protocol === "grpc-web") return grpcWeb(res.status, res.headers, data);
  if (res.status === 200) {
    return { code: "ok", status: 200, message: "", fields: [], headers: res.headers, body: protocol === "connect-json" ? JSON.parse(new TextDecoder().decode(data)) : data };
  }
  let err: ConnectError;
  try {
    err = errorFromJsonBytes(data, res.headers, new ConnectError(`HTTP ${res.status} without an error body`, Code.Unknown));
  } catch {
    err = new ConnectError(`HTTP ${res.status} without an error body`, res.status === 404 ? Code.Unimplemented : Code.Unknown);
  }
  return fromConnectError(err, res.status, res.headers);
}

function grpcWeb(status: number, headers: Headers, data: Uint8Array): Answer {
  let trailer = headers.has("grpc-status") ? headers : undefined;
  for (let pos = 0; pos + 5 <= data.length; ) {
    const len = new DataView(data.buffer, data.byteOffset + pos + 1, 4).getUint32(0);
    if (data[pos]! & 0x80) {
      trailer = new Headers();
      for (const line of new TextDecoder().decode(data.subarray(pos + 5, pos + 5 + len)).split("\r\n")) {
        const i = line.indexOf(":");
        if (i > 0) trailer.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
      }
    }
    pos += 5 + len;
  }
  if (!trailer) return { code: status === 404 ? "unimplemented" : "unknown", status, message: "no trailer", fields: [], headers };
  const err = findTrailerError(trailer);
  return err ? fromConnectError(err, status, headers) : { code: "ok", status, message: "", fields: [], headers };
}

/** gRPC over h2c with Node's own client: every byte as given. */
export function grpc(svc: TestService, path: string, body: Uint8Array, headers: Record<string, string> = {}, session?: ClientHttp2Session): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const s = session ?? h2connect(svc.url);
    s.on("error", reject);
    const req = s.request({ ":method": "POST", ":path": `/${path}`, "content-type": "application/grpc", te: "trailers", ...headers });
    const h = new Headers();
    let status = 0;
    req.on("response", (rh) => {
      status = Number(rh[":status"]);
      for (const [k, v] of Object.entries(rh)) if (!k.startsWith(":") && typeof v === "string") h.set(k, v);
    });
    req.on("trailers", (t) => {
      for (const [k, v] of Object.entries(t)) if (!k.startsWith(":") && typeof v === "string") h.set(k, v);
    });
    req.on("data", () => undefined);
    req.on("error", reject);
    req.on("close", () => {
      if (!session) s.close();
      const err = findTrailerError(h);
      if (err) resolve(fromConnectError(err, 200, h));
      else if (h.get("grpc-status") === "0") resolve({ code: "ok", status: 200, message: "", fields: [], headers: h });
      else if (status === 404) resolve({ code: "unimplemented", status: 404, message: "not found", fields: [], headers: h });
      else resolve({ code: "no_status", status, message: `stream closed (rst ${req.rstCode})`, fields: [], headers: h });
    });
    req.end(Buffer.from(body));
  });
}

/** REST with an exact body. */
export async function callRest(svc: TestService, method: string, path: string, body?: Uint8Array | string, opts: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (body !== undefined) headers["content-type"] ??= "application/json";
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  const res = await fetch(svc.url + path, { method, headers, body });
  const text = await res.text();
  // `any`: the error body's shape is what the assertions check.
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.status === 200) return { code: "ok", status: 200, message: "", fields: [], headers: res.headers, body: json };
  return {
    code: json?.error?.code ?? "unknown",
    status: res.status,
    message: json?.error?.message ?? text,
    fields: (json?.error?.violations ?? (json?.error?.field ? [{ field: json.error.field }] : [])).map((v: { field: string }) => v.field),
    headers: res.headers,
    body: json,
  };
}

/** A service of its own and one account with a key of all scopes. */
export async function startWithAccount(): Promise<{ svc: TestService; account: string; key: string }> {
  const svc = await startService();
  return { svc, ...(await svc.newAccount()) };
}

/**
 * A keyed HTTP/1.1 POST with a chunked body (no declared length) of `chunks` chunks of
 * `chunkBytes`, written over a raw socket as fast as it takes them; the answer's status line.
 */
export function postChunked(svc: TestService, path: string, key: string, chunkBytes: number, chunks: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(svc.port, "127.0.0.1", () => {
      s.write(`POST ${path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`);
      const chunk = Buffer.alloc(chunkBytes, 0x61);
      const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]);
      for (let i = 0; i < chunks; i++) s.write(frame);
    });
    let got = "";
    s.on("data", (d: Buffer) => (got += d.toString("latin1")));
    s.on("error", () => undefined);
    s.on("close", () => resolve(got.split("\r\n")[0] ?? ""));
  });
}
