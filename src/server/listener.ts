import { createRequire } from "node:module";
import type { Server as Http1Server, IncomingMessage, ServerResponse } from "node:http";
import type { Http2Server, Http2Session } from "node:http2";
import { createServer, type Server as NetServer, type Socket } from "node:net";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** The parse error Node's HTTP/1.1 parser (llhttp) stops with at an HTTP/2 preface. */
interface PrefaceError extends Error {
  code?: string;
  /** What the parser had been given in its last read, and how much of it it parsed. */
  rawPacket?: Buffer;
  bytesParsed?: number;
}

/** The socket as Node's HTTP/1.1 server leaves it: its parser and current answer (undocumented, stable since Node 12). */
type HttpSocket = Socket & { parser?: unknown; _httpMessage?: { headersSent: boolean } | null };

const clientErrorStatus: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  HPE_CHUNK_EXTENSIONS_OVERFLOW: "413 Payload Too Large",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
};

// Node's own helper that detaches an HTTP/1.1 parser from its socket (what its server does at an
// upgrade): unconsumes the socket, removes the parser from the server's connection list, and frees
// it. No typings: it is one of the `_http_*` modules Node keeps requirable for compatibility.
const { freeParser } = createRequire(import.meta.url)("node:_http_common") as {
  freeParser: (parser: unknown, req: null, socket: Socket) => void;
};

/**
 * One TCP port for HTTP/1.1 and cleartext HTTP/2 (prior knowledge). Every connection starts on
 * the HTTP/1.1 server, whose parser reads the socket natively into one shared buffer; an HTTP/2
 * preface stops that parser (llhttp's "paused on PRI" error) and the socket is handed over to the
 * HTTP/2 server with the bytes the parser had read put back in front (Node's http2 session first
 * replays what a socket it is given has buffered, then reads it natively).
 *
 * Why not look at the first bytes in JS first, as an earlier version did: every such read is a
 * fresh buffer of up to 64 KB, and for a large body refused unread (a keyless 1 MiB POST) that
 * buffer was what the refusal cost: V8 counts it as external memory and runs a full
 * mark-compact of the service's heap every few hundred of them (bench/hostile.ts measured the
 * service's CPU per such 401 at about twice that of this path). An even earlier version relayed
 * HTTP/2 through a JS Duplex, which cost every HTTP/2 byte two more trips through JS streams.
 */
export function createDualListener(h1: Http1Server, h2: Http2Server): NetServer {
  // Prior knowledge means HTTP/2 from the first byte: a connection that has carried an HTTP/1.1
  // request is not handed over (an answer of its own could still be on its way).
  const served = new WeakSet<Socket>();
  h1.on("request", (req: { socket: Socket }) => served.add(req.socket));
  // An `Expect` Node cannot meet is answered 417 without a "request" event (Node's own answer).
  h1.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    served.add(req.socket);
    res.writeHead(417);
    res.end();
  });
  h1.on("clientError", (err: PrefaceError, socket: HttpSocket) => {
    if (err.code === "HPE_PAUSED_H2_UPGRADE" && socket.parser && !socket.destroyed && !served.has(socket) && handOver(err, socket, h2)) return;
    // Anything else: what Node's server does when nobody listens for clientError (its
    // socketOnError): the status line for the error, unless an answer has begun, then close.
    if (socket.writable && !socket._httpMessage?.headersSent) socket.write(`HTTP/1.1 ${clientErrorStatus[err.code ?? ""] ?? "400 Bad Request"}\r\nConnection: close\r\n\r\n`);
    socket.destroy(err);
  });
  return createServer({ pauseOnConnect: false }, (socket) => {
    // Node's own servers disable Nagle on the sockets they accept; this one accepts them itself,
    // and without it small HTTP/2 frames wait for the peer's delayed ACK (bench/h2c-overhead.ts).
    socket.setNoDelay(true);
    h1.emit("connection", socket);
  });
}

/**
 * Gives a socket whose HTTP/1.1 parser stopped at an HTTP/2 preface to the HTTP/2 server.
 * The parser stops right after the 24-byte preface, possibly read over several reads, so what it
 * had been given is its last read: the preface's tail up to `bytesParsed`, then HTTP/2 frames.
 */
function handOver(err: PrefaceError, socket: HttpSocket, h2: Http2Server): boolean {
  const raw = err.rawPacket;
  const parsed = err.bytesParsed;
  if (!raw || parsed === undefined || parsed > PREFACE.length || !raw.subarray(0, parsed).equals(PREFACE.subarray(PREFACE.length - parsed))) return false;
  freeParser(socket.parser, null, socket);
  // The HTTP/1.1 server's listeners (data, end, close, drain, timeout, error, and the pause/resume
  // ones for its native reads), and its overrides of on/addListener/prependListener/setEncoding.
  for (const event of ["data", "end", "close", "drain", "timeout", "error", "resume", "pause"]) socket.removeAllListeners(event);
  for (const own of ["on", "addListener", "prependListener", "setEncoding"]) delete (socket as unknown as Record<string, unknown>)[own];
  socket.on("error", () => socket.destroy());
  socket.pause();
  socket.unshift(Buffer.concat([PREFACE, raw.subarray(parsed)]));
  h2.emit("connection", socket);
  return true;
}

/** Keeps the open HTTP/2 sessions so shutdown can send GOAWAY to each. */
export function trackSessions(h2: Http2Server): Set<Http2Session> {
  const sessions = new Set<Http2Session>();
  h2.on("session", (s: Http2Session) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  return sessions;
}
