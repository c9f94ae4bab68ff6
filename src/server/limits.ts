import type { Server as Http1Server, IncomingMessage, ServerResponse } from "node:http";
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

/** Per HTTP/1.1 socket: the running headers timer, and how many of its requests are unanswered. */
interface Http1State {
  timer?: NodeJS.Timeout;
  open: number;
}
const http1State = new WeakMap<Socket, Http1State>();

/** Applies the connection limits to the listener and both HTTP servers. */
export function applyConnectionLimits(listener: NetServer, h1: Http1Server, h2: Http2Server, limits: ServerLimits): void {
  listener.maxConnections = limits.maxConnections;
  h1.keepAliveTimeout = limits.idleTimeoutMs;
  // Node enforces its own headersTimeout only for servers that listen themselves (its checks
  // start on "listening"; starting them by hand also changes what closeIdleConnections closes
  // at shutdown). This one is handed its sockets, so every request's headers get a timer here:
  // the first from the connection, each later one from its first byte (keepAliveTimeout alone
  // would let a client dribble a header line now and then forever, as it is reset by activity).
  h1.headersTimeout = limits.headersTimeoutMs;
  const arm = (socket: Socket, state: Http1State) => {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => socket.destroy(), limits.headersTimeoutMs);
    state.timer.unref();
  };
  h1.on("connection", (socket: Socket) => {
    const state: Http1State = { open: 0 };
    http1State.set(socket, state);
    arm(socket, state);
    socket.once("close", () => clearTimeout(state.timer));
  });
  h1.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const state = http1State.get(socket);
    if (!state) return;
    clearTimeout(state.timer);
    state.open++;
    res.once("close", () => {
      // Answered, and nothing else asked on this connection: the next byte starts a request
      // whose headers must be complete within the limit. (Listening for "data" makes Node read
      // the socket through JS rather than straight into its parser: only on reused connections.)
      if (--state.open === 0 && !socket.destroyed) {
        socket.once("data", () => {
          if (state.open === 0) arm(socket, state);
        });
      }
    });
  });
  // A socket handed over to HTTP/2 (its preface, src/server/listener.ts) is HTTP/1.1's no more:
  // its headers timer stops, and its session's idle time applies.
  h2.on("connection", (socket: Socket) => clearTimeout(http1State.get(socket)?.timer));
  h2.on("session", (s: Http2Session) => closeWhenIdle(s, limits.idleTimeoutMs));
}

/** How long a session closed for being idle may take to finish closing before it is destroyed. */
const CLOSE_GRACE_MS = 1000;

/**
 * Closes a session gracefully (GOAWAY) once it has had no open stream for `idleMs`, and destroys
 * it if it is still open CLOSE_GRACE_MS later. Counted by
 * streams rather than with Http2Session.setTimeout, which never fired for sessions on the JS
 * relay the listener once used (counting works however a session's socket was handed over).
 */
function closeWhenIdle(session: Http2Session, idleMs: number): void {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => {
      session.close();
      // A graceful close waits for the client, and a client that never completes what it began
      // (a HEADERS frame without END_HEADERS: no stream, no end) would hold the session forever.
      // With no stream open there is nothing to wait for past a moment.
      timer = setTimeout(() => session.destroy(), CLOSE_GRACE_MS);
      timer.unref();
    }, idleMs);
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
