import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

/**
 * After an early answer (refused at the gate, too large, undecodable) the rest of the body is not
 * wanted, and is not read:
 * - HTTP/1.1 closes the connection as soon as the answer is written. Node would otherwise read
 *   and discard the body to reuse the connection, and even when told `connection: close` it
 *   resumes reading until its half-close completes (~190 KB of a 1 MiB body read per refusal,
 *   bench/hostile.ts; 64 KB, the first read, now).
 * - HTTP/2 resets the stream (NO_ERROR) once the answer is sent. Not at the response's "finish"
 *   itself: its frames are then only queued, and a reset queued right behind them could go out
 *   first; Node writes queued frames before the next setImmediate.
 */
export function stopReading(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void {
  if (req.readableEnded || req.complete) return;
  if ("stream" in req) {
    res.once("finish", () =>
      setImmediate(() => {
        if (!req.stream.closed) req.stream.close();
      }),
    );
  } else if (!res.headersSent) {
    res.setHeader("connection", "close");
    // At "finish" the answer is in the kernel. Before Node's own "finish" handler, which would
    // start that read and half-close the socket (whose pending end our destroy would then fail).
    res.prependOnceListener("finish", () => req.socket.destroy());
  }
}

/**
 * Whatever answer goes out before its request's body was read to the end (a 404 or 405, a 429 of
 * the address's bucket, any path that does not read a body), the rest of the body is not read
 * either: the HTTP/1.1 connection closes once the answer is written, the HTTP/2 stream is reset
 * once it is sent. Without this, Node reads and discards the rest to reuse the connection, with
 * no size limit but the headers timer (measured: 1.5–6 GB and ~3 s of CPU per made-up path with a
 * fast chunked body). Answers that did read their body, the usual case, are left alone.
 */
export function stopReadingWhenAnswered(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void {
  const unread = () => !req.readableEnded && !req.complete;
  if ("stream" in req) {
    res.once("finish", () => {
      if (unread()) setImmediate(() => void (req.stream.closed || req.stream.close()));
    });
  } else {
    // Said in the answer, so that a keep-alive client does not send its next request on a
    // connection about to close (res.end() writes the head through writeHead too).
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    (res as { writeHead: unknown }).writeHead = (...args: unknown[]) => {
      if (unread() && !res.headersSent) res.setHeader("connection", "close");
      return writeHead(...args);
    };
    // Before Node's own "finish" handler, which would start draining the body.
    res.prependOnceListener("finish", () => {
      if (unread()) req.socket.destroy();
    });
  }
}
