import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createContextValues } from "@connectrpc/connect";
import { authInterceptor } from "../auth/interceptor.js";
import type { Logger } from "../log.js";
import { createRestHandler } from "../rest/handler.js";
import { validationInterceptor } from "../rpc/validation.js";
import { restRoutes } from "../rest/routes.js";
import type { Store } from "../storage/store.js";
import { Lifecycle, arrivedBeforeDrain, availabilityInterceptor } from "./availability.js";
import { clientAddress, continueWhenRead } from "./body.js";
import { Gate } from "./gate.js";
import { Refused } from "./refused.js";
import { repairGuardInterceptor } from "./repair-guard.js";
import { createDualListener, trackSessions } from "./listener.js";
import { applyConnectionLimits, DEFAULT_LIMITS, type ServerLimits } from "./limits.js";
import { loggingInterceptor } from "./logging.js";
import { createUnaryCaller } from "./in-process.js";
import { dashboardHandler } from "./dashboard.js";
import { RateLimits } from "./rate-limit.js";
import { RefusalLog } from "./refusal-log.js";
import { publicServices, routes, scopes, services } from "./routes.js";
import { createRpcDoor } from "./rpc-door.js";
import { stopReadingWhenAnswered } from "./stop-reading.js";

/** After the grace period, how long the calls cut short get to send their `unavailable` answers. */
const ANSWER_CUT_CALLS_MS = 1000;
/**
 * At shutdown, once the calls in flight are done, the listener stays open this long more
 * (within the grace): requests already on their way are answered `unavailable`, not dropped
 * with their connection. A fixed time, not "until none arrives", which a steady trickle (health
 * probes) would stretch to the whole grace.
 */
const LINGER_MS = 200;

export interface ServerOptions {
  store: Store;
  log: Logger;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Project root, for gen/openapi/openapi.json. */
  root: string;
  now?: () => Date;
  /** Connection, body, decoding and rate limits (src/config.ts reads them); defaults otherwise. */
  limits?: ServerLimits;
}

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/**
 * The service on one port: gRPC, gRPC-Web and Connect over HTTP/1.1 and h2c, the REST routes
 * derived from the google.api.http bindings, /healthz, /openapi.json and the dashboard (GET /).
 */
export class AnalyticsServer {
  private constructor(
    readonly port: number,
    readonly host: string,
    private readonly close_: (graceMs: number) => Promise<void>,
  ) {}

  static async create(opts: ServerOptions): Promise<AnalyticsServer> {
    const { store, log } = opts;
    const limits = opts.limits ?? DEFAULT_LIMITS;
    const gate = new Gate(store.keys, scopes, new RateLimits(limits.rate), store.availability);
    const life = new Lifecycle();
    const deps = { store, log, now: opts.now ?? (() => new Date()), life };
    // Outside-in: log, refuse while unavailable, authenticate, check the contract's rules, refuse
    // reads of an account under rebuild, handler.
    const interceptors = [
      loggingInterceptor(log),
      availabilityInterceptor(store.availability, life),
      authInterceptor(store.keys, scopes),
      validationInterceptor(deps.now, publicServices.flatMap((s) => s.service.methods.map((m) => m.input))),
      repairGuardInterceptor(store.ingest),
    ];
    const shutdown = new AbortController();
    // Every in-flight RPC listens on them; more than 10 at once is normal load, not a leak.
    setMaxListeners(0, shutdown.signal);
    setMaxListeners(0, life.cut);
    const specs = services(deps);
    const arrival = () => createContextValues().set(arrivedBeforeDrain, !life.draining);
    const refusals = new RefusalLog(log);
    const rpc = createRpcDoor({
      refusals,
      arrival,
      routes: routes(specs),
      interceptors,
      shutdownSignal: shutdown.signal,
      gate,
      body: limits.body,
      decode: limits.decode,
      log,
    });
    const restRouteList = restRoutes(publicServices.map((s) => s.service));
    const rest = createRestHandler({
      refusals,
      routes: restRouteList,
      call: createUnaryCaller(specs, interceptors, "rest"),
      arrival,
      gate,
      body: limits.body,
      decode: limits.decode,
      log,
    });
    const openapi = readFileSync(join(opts.root, "gen", "openapi", "openapi.json"));
    const dashboard = dashboardHandler(join(opts.root, "dist", "web"), log);

    let inFlight = 0;
    let onIdle: (() => void) | undefined;
    const handle = (req: Req, res: Res) => {
      inFlight++;
      // Shutting down: an HTTP/1.1 client is told not to send its next request on this connection.
      if (life.draining && !("stream" in req)) res.setHeader("connection", "close");
      res.once("close", () => {
        inFlight--;
        if (inFlight === 0) onIdle?.();
      });
      stopReadingWhenAnswered(req, res);
      const given = req.headers["x-request-id"];
      const rid = typeof given === "string" && /^[\w.:-]{1,64}$/.test(given) ? given : randomUUID();
      req.headers["x-request-id"] = rid;
      res.setHeader("x-request-id", rid);
      void dispatch(req, res, rid).catch((err: unknown) => {
        log.error("unhandled request error", { rid, error: err });
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ success: false, error: { code: "internal", message: "internal error" } }));
      });
    };
    const dispatch = async (req: Req, res: Res, rid: string) => {
      const path = (req.url ?? "/").split("?")[0]!;
      if (!restRouteList.some((r) => r.pattern.test(path)) && !rpc.serves(path)) {
        // Everything but the API's own routes (health, the OpenAPI document, the dashboard, and
        // paths that are nothing: 404) draws on the client address's bucket, health checks on
        // their own, so a scan of made-up paths is rate limited too and every answer carries
        // the quota headers.
        try {
          const address = clientAddress(req);
          const { headers } = await (path === "/healthz" ? gate.admitHealthCheck(address) : gate.admit(undefined, undefined, address));
          for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        } catch (err) {
          if (!(err instanceof Refused)) throw err;
          const text = JSON.stringify({ success: false, error: { code: "resource_exhausted", message: err.error.rawMessage } });
          res.writeHead(429, { ...err.headers, "content-type": "application/json" });
          res.end(text);
          return;
        }
      }
      if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
        const down = life.draining ? "shutting down" : (await store.ping()) ? undefined : "database unreachable";
        // Serving, and honest about accounts whose derived data awaits or undergoes a rebuild
        // (their reads answer `unavailable` while it runs).
        const due = down === undefined ? (await store.ingest.dueAccounts().catch(() => [])).length : 0;
        const body = JSON.stringify(
          down === undefined
            ? { success: true, status: due ? "repairing" : "ok", repairs_due: due }
            : { success: false, error: { code: "unavailable", message: down } },
        );
        res.writeHead(down === undefined ? 200 : 503, { "content-type": "application/json", ...(down === undefined ? {} : { "retry-after": "1" }) });
        if (req.method === "HEAD") res.end();
        else res.end(body);
        return;
      }
      if (path === "/openapi.json" && req.method === "GET") {
        res.writeHead(200, { "content-type": "application/json", "content-length": openapi.length });
        res.end(openapi);
        return;
      }
      if (dashboard(req, res, path)) return;
      if (await rest(req, res, rid)) return;
      await rpc(req, res, rid);
    };

    const h1 = createHttp1Server(handle);
    const h2 = createHttp2Server({ settings: { maxConcurrentStreams: limits.maxConcurrentStreams } }, handle);
    // `Expect: 100-continue`: Node's servers would send `100 Continue` at once; the client is
    // invited to send its body only once the body is read (continueWhenRead).
    h1.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
      continueWhenRead(req, res);
      h1.emit("request", req, res);
    });
    h2.on("checkContinue", (req: Http2ServerRequest, res: Http2ServerResponse) => {
      continueWhenRead(req, res);
      h2.emit("request", req, res);
    });
    const sessions = trackSessions(h2);
    const listener = createDualListener(h1, h2);
    applyConnectionLimits(listener, h1, h2, limits);
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(opts.port, opts.host, () => resolve());
    });
    const port = (listener.address() as AddressInfo).port;
    log.info("listening", { host: opts.host, port, protocols: ["grpc", "grpc-web", "connect", "rest"] });

    const idle = (ms: number) =>
      inFlight === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            onIdle = resolve;
            setTimeout(resolve, ms).unref();
          });
    const close = async (graceMs: number) => {
      const deadline = performance.now() + graceMs;
      // New calls are answered `unavailable` from here on. The listener and the open connections
      // stay open while the calls in flight finish, and LINGER_MS more (within the grace): a
      // request already on its way, on a connection this process had not yet accepted or read
      // (a busy machine), is answered rather than dropped with its connection, which closing the
      // listener (the kernel resets its backlog) or the idle connections at once did. HTTP/2
      // sessions are told to go away (GOAWAY).
      life.drain();
      for (const s of sessions) s.close();
      await idle(graceMs);
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(LINGER_MS, deadline - performance.now()))));
      await idle(Math.max(0, deadline - performance.now()));
      listener.close();
      h1.closeIdleConnections();
      // The grace is over: what is still running is answered `unavailable` (not dropped), and
      // the connections close once those answers are out.
      life.cutShort();
      shutdown.abort();
      await idle(ANSWER_CUT_CALLS_MS);
      h1.close(() => undefined);
      h1.closeAllConnections();
      for (const s of sessions) s.destroy();
    };
    return new AnalyticsServer(port, opts.host, close);
  }

  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes connections. */
  close(graceMs = 10_000): Promise<void> {
    return this.close_(graceMs);
  }
}
