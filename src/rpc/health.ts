import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { setTimeout as sleep } from "node:timers/promises";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/es/grpc/health/v1/health_pb.js";
import type { HandlerDeps } from "./deps.js";

/** How often Watch re-checks the database. */
const WATCH_INTERVAL_MS = 5000;

/**
 * grpc.health.v1.Health: SERVING while the database answers and the server is not shutting down
 * (the same rule as /healthz). "" means the whole server; each
 * of our services can be asked for by name.
 */
export function healthHandlers({ store, life }: HandlerDeps, services: readonly string[]): ServiceImpl<typeof Health> {
  const known = new Set(["", ...services]);
  const status = async () => (!life.draining && (await store.ping()) ? Status.SERVING : Status.NOT_SERVING);
  return {
    async check(req) {
      if (!known.has(req.service)) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
      return { status: await status() };
    },
    async list() {
      const s = await status();
      return { statuses: Object.fromEntries([...known].map((name) => [name, { status: s }])) };
    },
    async *watch(req, ctx) {
      if (!known.has(req.service)) {
        yield { status: Status.SERVICE_UNKNOWN };
        return;
      }
      let last: Status | undefined;
      while (!ctx.signal.aborted) {
        const s = await status();
        if (s !== last) yield { status: s };
        last = s;
        await sleep(WATCH_INTERVAL_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
      }
    },
  };
}

export { Health };
