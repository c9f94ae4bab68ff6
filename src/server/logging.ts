import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { callerKey } from "../auth/context.js";
import type { Logger } from "../log.js";
import { RetryableError } from "../storage/availability.js";

/** Logs one line per RPC (every protocol, REST included) with its request id and outcome. */
export function loggingInterceptor(log: Logger): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const rid = req.header.get("x-request-id") ?? undefined;
    const fields = () => ({
      rid,
      rpc: `${req.service.typeName}/${req.method.name}`,
      account: req.contextValues.get(callerKey)?.account,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
    try {
      const res = await next(req);
      log.info("rpc", { ...fields(), code: "ok" });
      return res;
    } catch (err) {
      const ce = ConnectError.from(err);
      // A database error answered 503 says only "the database is unavailable" to the client; the
      // log keeps the database's own words, at warn: were it permanent (a misconfiguration taken
      // for an outage), clients would retry forever and only this line would say why.
      const cause = ce.code === Code.Unavailable && ce.cause instanceof Error && !(ce.cause instanceof RetryableError) ? ce.cause.message : undefined;
      const level = ce.code === Code.Internal || ce.code === Code.Unknown ? "error" : cause !== undefined ? "warn" : "info";
      log[level]("rpc", { ...fields(), code: ce.code, error: ce.rawMessage, ...(cause !== undefined ? { cause } : {}) });
      throw err;
    }
  };
}
