import type { Server as Http1Server } from "node:http";
import type { Http2Server, Http2Session } from "node:http2";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import { Duplex } from "node:stream";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * One TCP port for HTTP/1.1 and cleartext HTTP/2 (prior knowledge): the first bytes tell them
 * apart. HTTP/1.1 sockets go to the http server with the peeked bytes unshifted. Node's http2
 * server reads a net.Socket natively (below the stream API), where unshifted bytes would be
 * lost, so HTTP/2 connections reach it through a Duplex that replays the peeked bytes and then
 * relays the socket; bench/h2c-overhead.ts measures what that costs.
 */
export function createDualListener(h1: Http1Server, h2: Http2Server, firstBytesTimeoutMs: number): NetServer {
  return createServer({ pauseOnConnect: false }, (socket) => {
    // Node's own servers disable Nagle on the sockets they accept; this one accepts them itself,
    // and without it small HTTP/2 frames wait for the peer's delayed ACK (bench/h2c-overhead.ts).
    socket.setNoDelay(true);
    // A client that has not sent enough to tell its protocol in this time is dropped.
    socket.setTimeout(firstBytesTimeoutMs, () => socket.destroy());
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const isH2Prefix = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (isH2Prefix && seen.length < PREFACE.length) return; // need more bytes to decide
      socket.off("data", onData);
      socket.pause();
      socket.setTimeout(0);
      if (isH2Prefix) h2.emit("connection", relay(socket, seen));
      else {
        socket.unshift(seen);
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  });
}

function relay(socket: Socket, head: Buffer): Duplex {
  const d = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end(cb);
    },
    destroy(err, cb) {
      socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  d.push(head);
  socket.on("data", (chunk: Buffer) => {
    if (!d.push(chunk)) socket.pause();
  });
  socket.on("end", () => d.push(null));
  socket.on("close", () => d.destroy());
  socket.on("error", (err) => d.destroy(err));
  // http2 looks these up for logging and per-connection settings.
  Object.assign(d, {
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    remoteFamily: socket.remoteFamily,
    setNoDelay: () => socket.setNoDelay(true),
    setKeepAlive: (on: boolean, ms: number) => socket.setKeepAlive(on, ms),
    setTimeout: (ms: number, cb?: () => void) => socket.setTimeout(ms, cb),
  });
  return d;
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
