import type { Server as Http1Server, IncomingMessage } from "node:http";
import type { Http2Server, Http2Session, ServerHttp2Stream } from "node:http2";
import type { Server as NetServer, Socket } from "node:net";
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from "../decode/limits.js";
import type { BodyLimits } from "./body.js";
import type { RateLimitConfig } from "./rate-limit.js";

/** Every limit the server applies to connections and requests (README: Configuration). */
export interface ServerLimits {
  /** Simultaneous connections (HTTP/1.1 and HTTP/2); more are closed on accept. */
  maxConnections: number;
  /** An HTTP/1.1 request's headers must be complete within this time (and HTTP/2's preface). */
  headersTimeoutMs: number;
  /** An idle keep-alive connection or HTTP/2 session is closed after this time. */
  idleTimeoutMs: number;
  /** Concurrent streams per HTTP/2 session (advertised in SETTINGS, enforced by Node). */
  maxConcurrentStreams: number;
  body: BodyLimits;
  decode: DecodeLimits;
  rate: RateLimitConfig;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxConnections: 2000,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 65_000,
  maxConcurrentStreams: 100,
  body: { maxBytes: 1024 * 1024, minBytesPerSecond: 1024, rateWindowMs: 5_000 },
  decode: DEFAULT_DECODE_LIMITS,
  rate: { perKey: { requests: 6000, seconds: 60 }, perAddress: { requests: 1200, seconds: 60 } },
};

const waitingForHeaders = new WeakMap<Socket, NodeJS.Timeout>();

/** Applies the connection limits to the listener and both HTTP servers. */
export function applyConnectionLimits(listener: NetServer, h1: Http1Server, h2: Http2Server, limits: ServerLimits): void {
  listener.maxConnections = limits.maxConnections;
  h1.keepAliveTimeout = limits.idleTimeoutMs;
  // Node enforces its own headersTimeout only for servers that listen themselves (its checks
  // start on "listening"; starting them by hand also changes what closeIdleConnections closes
  // at shutdown). This one is handed its sockets, so the first request's headers get a timer
  // here; between requests keepAliveTimeout applies, and bodies have their minimum rate.
  h1.headersTimeout = limits.headersTimeoutMs;
  h1.on("connection", (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), limits.headersTimeoutMs);
    timer.unref();
    waitingForHeaders.set(socket, timer);
    socket.once("close", () => clearTimeout(timer));
  });
  h1.on("request", (req: IncomingMessage) => {
    clearTimeout(waitingForHeaders.get(req.socket));
    waitingForHeaders.delete(req.socket);
  });
  h2.on("session", (s: Http2Session) => closeWhenIdle(s, limits.idleTimeoutMs));
}

/**
 * Closes a session gracefully (GOAWAY) once it has had no open stream for `idleMs`. Counted by
 * streams rather than with Http2Session.setTimeout, which never fired for sessions on the
 * listener's relay stream.
 */
function closeWhenIdle(session: Http2Session, idleMs: number): void {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => session.close(), idleMs);
    timer.unref();
  };
  session.on("stream", (stream: ServerHttp2Stream) => {
    open++;
    clearTimeout(timer);
    stream.once("close", () => {
      if (--open === 0 && !session.closed) arm();
    });
  });
  session.once("close", () => clearTimeout(timer));
  arm();
}
