import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { callerKey } from "../auth/context.js";
import type { Logger } from "../log.js";

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
      const level = ce.code === 13 || ce.code === 2 ? "error" : "info";
      log[level]("rpc", { ...fields(), code: ce.code, error: ce.rawMessage });
      throw err;
    }
  };
}
