import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { constants, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";

/**
 * Whatever answer goes out before its request's body was read to the end (a refused key, a body
 * too large, a 404 or 405, a 429, any path that does not read a body), the rest of the body is
 * not read either: the HTTP/1.1 connection stops reading and closes soon after the answer
 * (closeUnread), the HTTP/2 stream is reset once the answer is sent (behind its trailers: a reset
 * queued at once could go out first; Node writes queued frames before the next setImmediate).
 * Without this, Node reads and discards the rest to reuse the connection, with
 * no size limit but the headers timer (measured: 1.5–6 GB and ~3 s of CPU per made-up path with a
 * fast chunked body). Answers that did read their body, the usual case, are left alone.
 */
export function stopReadingWhenAnswered(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void {
  if ("stream" in req) {
    // HTTP/2: Node's compatibility response asks for its trailers ("wantTrailers"; an answer
    // without any ends with an empty DATA frame then) once its body is out, and sends them from
    // its own listener, which runs before this one. The stream is then half-closed: if the
    // client is still sending (a stream of request messages refused mid-way, a body refused
    // while being read), nothing would ever end its call (its writes wait on a window no one
    // opens), so the stream is reset with NO_ERROR, "stop sending, the answer is complete"
    // (RFC 9113 8.1), behind the trailers. (The response's "finish" comes only once the stream
    // closes, and a refusal that read nothing is closed by Node itself.)
    const stream = req.stream;
    stream.once("wantTrailers", () => {
      setImmediate(() => {
        if (stream.closed || stream.destroyed || stream.state.remoteClose) return;
        stream.close(constants.NGHTTP2_NO_ERROR);
        // Node 20 closes such a stream but never destroys it while unread data is buffered on
        // it; a client's GOAWAY then makes its session wait for the stream forever, holding the
        // socket and a MAX_CONNECTIONS slot (review s6b H1). The reset is queued by now.
        setImmediate(() => stream.destroy());
      });
    });
  } else {
    const unread = () => !req.readableEnded && !req.complete;
    // Said in the answer, so that a keep-alive client does not send its next request on a
    // connection about to close (res.end() writes the head through writeHead too).
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    (res as { writeHead: unknown }).writeHead = (...args: unknown[]) => {
      if (unread() && !res.headersSent) res.setHeader("connection", "close");
      return writeHead(...args);
    };
    // Before Node's own "finish" handler, which would start draining the body.
    res.prependOnceListener("finish", () => {
      // Node 22 and 24 detach the socket from a request already destroyed (a body refused while
      // it was being read, which ends its iteration): the response still has it.
      const socket = unread() ? (req.socket ?? res.socket) : null;
      if (socket) closeUnread(socket);
    });
  }
}

/** Node's HTTP/1.1 socket: its flag for "paused by the server" and its close-once-written. */
type Http1Socket = Socket & { _paused?: boolean; destroySoon?: () => void };

/** How long a connection refused with its body unread stays open, not read, after its answer. */
const LINGER_MS = 100;

/**
 * Stops reading an HTTP/1.1 connection whose answer went out before its body was read, and
 * closes it LINGER_MS after the answer rather than at once. Closing a socket with unread data
 * sends a reset, and a client still sending its body (fetch, a 1 MiB POST) that gets the reset
 * before it has read the answer reports the connection reset instead of the 401 (measured: up to
 * 4% of keyless 1 MiB POSTs with fetch once the refusal got fast, 0.4% with four at a time).
 * Meanwhile the client has the answer and the end of the stream (FIN); what it still sends fills
 * the unread receive window and waits there. A lingering connection costs a timer and its socket,
 * no reads, and counts against MAX_CONNECTIONS until it closes.
 */
function closeUnread(socket: Http1Socket): void {
  if (socket.destroyed) return;
  // Node's own flag for an HTTP/1.1 socket it paused (its pipelining back-pressure): its request
  // would otherwise resume the socket to throw the unread body away (resOnFinish's req._dump()).
  socket._paused = true;
  socket.pause();
  // Node closes a `Connection: close` answer's socket right after this (resOnFinish calls
  // destroySoon: the end of the stream, then the close once it is written); this one closes later.
  socket.destroySoon = () => undefined;
  socket.end();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
