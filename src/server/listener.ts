import type { Server as Http1Server } from "node:http";
import type { Http2Server, Http2Session } from "node:http2";
import { createServer, type Server as NetServer } from "node:net";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * One TCP port for HTTP/1.1 and cleartext HTTP/2 (prior knowledge): the first bytes tell them
 * apart, and go back onto the socket (unshift) for the server it is handed to. Node's http2
 * session first replays what a socket it is given has buffered, then reads it natively; the
 * http server parses the buffered bytes first too. (An earlier version relayed HTTP/2 through a
 * JS Duplex, which cost every HTTP/2 byte two more trips through JS streams.)
 */
export function createDualListener(h1: Http1Server, h2: Http2Server, firstBytesTimeoutMs: number): NetServer {
  return createServer({ pauseOnConnect: false }, (socket) => {
    // Node's own servers disable Nagle on the sockets they accept; this one accepts them itself,
    // and without it small HTTP/2 frames wait for the peer's delayed ACK (bench/h2c-overhead.ts).
    socket.setNoDelay(true);
    // A client that has not sent enough to tell its protocol in this time is dropped.
    socket.setTimeout(firstBytesTimeoutMs, () => socket.destroy());
    let seen: Buffer | undefined;
    const onData = (chunk: Buffer) => {
      // Almost always the first read decides; only then is nothing copied.
      seen = seen ? Buffer.concat([seen, chunk]) : chunk;
      const n = Math.min(seen.length, PREFACE.length);
      const isH2Prefix = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (isH2Prefix && seen.length < PREFACE.length) return; // need more bytes to decide
      socket.off("data", onData);
      socket.pause();
      socket.setTimeout(0);
      socket.unshift(seen);
      if (isH2Prefix) h2.emit("connection", socket);
      else {
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  });
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
