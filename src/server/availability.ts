import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { RetryableError, isUnavailableError, type Availability } from "../storage/availability.js";

/**
 * The server's life after SIGTERM: while draining it refuses new calls (`unavailable`) and lets
 * the calls in flight finish; once the grace is over it cuts the rest short (`unavailable`).
 */
export class Lifecycle {
  private draining_ = false;
  private readonly cut_ = new AbortController();

  get draining(): boolean {
    return this.draining_;
  }

  /** Aborted when the grace period is over. */
  get cut(): AbortSignal {
    return this.cut_.signal;
  }

  drain(): void {
    this.draining_ = true;
  }

  cutShort(): void {
    this.draining_ = true;
    this.cut_.abort();
  }
}

/**
 * Set on calls whose request arrived before the drain began: they are in flight, and are served
 * even when the gate's key lookup and the body's reading bring them to this interceptor after.
 */
export const arrivedBeforeDrain = createContextKey(false, { description: "the request arrived before SIGTERM" });

/** Services that answer without the database's help or report its state themselves. */
const EXEMPT = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);

/**
 * Answers `unavailable` (REST 503 with Retry-After, gRPC 14) rather than hanging or `internal`:
 * at once while the server drains or the database is known to be down, when the grace period
 * cuts a call short, and when the database could not be reached during the call. The call's
 * own writes are left to the ingest journal to complete (see EmailIngest).
 */
export function availabilityInterceptor(availability: Availability, life: Lifecycle): Interceptor {
  return (next) => async (req) => {
    if (EXEMPT.has(req.service.typeName)) return next(req);
    if (life.draining && !req.contextValues.get(arrivedBeforeDrain)) throw new ConnectError("the server is shutting down; retry", Code.Unavailable);
    const down = availability.down;
    if (down !== undefined) throw new ConnectError(`the database is unavailable (${down}); retry shortly`, Code.Unavailable);
    // Past the grace, a call that arrived before the drain is not started at all.
    if (life.cut.aborted) throw shutDown();
    try {
      return await cutShortBy(life.cut, next(req));
    } catch (err) {
      // Our own "not now" says why (a batch not counted yet, a rebuild under way): the database
      // may be fine, and a producer retrying for long, or its operator, needs to know what it waits for.
      if (isUnavailableError(err)) throw new ConnectError(err instanceof RetryableError ? err.message : "the database is unavailable; retry shortly", Code.Unavailable, undefined, undefined, err);
      throw err;
    }
  };
}

/** The call's outcome, or `unavailable` once `signal` aborts; `work` is always awaited to its end. */
function cutShortBy<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) reject(shutDown());
    const onCut = () => reject(shutDown());
    signal.addEventListener("abort", onCut, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onCut));
  });
}

const shutDown = () => new ConnectError("the server shut down before this call finished; retry", Code.Unavailable);
