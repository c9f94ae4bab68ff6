import {
  MongoBulkWriteError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from "mongodb";

/** A failure that says "not now" (the caller may retry shortly): answered `unavailable`. */
export class RetryableError extends Error {}

/** Thrown instead of calling the database while it is known to be down. */
export class DatabaseDownError extends RetryableError {}

/**
 * Whether the database can be used, as far as this process knows. The supervisor of the embedded
 * database marks it down the moment its process exits and up once it answers again, so calls
 * fail at once (`unavailable`) instead of waiting out the driver's server selection.
 */
export class Availability {
  private reason: string | undefined;

  markDown(reason: string): void {
    this.reason = reason;
  }

  markUp(): void {
    this.reason = undefined;
  }

  /** Why the database is down, or undefined while it is up. */
  get down(): string | undefined {
    return this.reason;
  }

  /** Throws DatabaseDownError while the database is down. */
  check(): void {
    if (this.reason !== undefined) throw new DatabaseDownError(`database unavailable: ${this.reason}`);
  }
}

/** Node's codes for a connection that broke or could not be made. */
const SOCKET_ERRORS = new Set(["EPIPE", "ECONNRESET", "ECONNREFUSED", "ECONNABORTED", "ETIMEDOUT", "ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END"]);

/** Server error codes that mean "not now" rather than "never": shutdown, failover, interrupted. */
const TRANSIENT_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/**
 * FerretDB on PostgreSQL answers a command its backend could not run because PostgreSQL is gone
 * with a generic server error (code 1, InternalError) carrying PostgreSQL's words: a connection
 * the postmaster's exit ended (SQLSTATE 08000, 08001, 08003, 08004, 08006: connection failures, not
 * 08P01, a protocol violation, which is a bug; or 57P01-57P03: shut down, crashed, starting),
 * too many connections (53300), or a new connection refused (pgx: `failed to connect to ...
 * dial error`). After a kill -9 of PostgreSQL those were answered 500 `internal` (about 200 in a
 * few seconds of two services' ingest), which a client following "retry on 503" does not resend.
 */
const BACKEND_GONE = /SQLSTATE (0800[01346]|57P0[123]|53300)|failed to connect to `|dial error: /;

/**
 * True for errors that say the database could not be reached or was going away (a closed
 * socket, no server to select, the client closed, a server shutting down): the call may succeed
 * when retried, so callers get `unavailable`, never `internal`.
 */
export function isUnavailableError(err: unknown): boolean {
  // A bulk write the network cut short carries the network error inside.
  if (err instanceof MongoBulkWriteError && err.errorResponse instanceof Error && err.errorResponse !== err) {
    if (isUnavailableError(err.errorResponse)) return true;
  }
  if (err instanceof RetryableError) return true;
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError) return true;
  if (err instanceof MongoNotConnectedError || err instanceof MongoTopologyClosedError) return true;
  // A socket error the driver let through unwrapped (writing to a connection the server closed).
  if (err instanceof Error && SOCKET_ERRORS.has((err as NodeJS.ErrnoException).code ?? "")) return true;
  if (err instanceof Error && err.cause !== undefined && err.cause !== err && isUnavailableError(err.cause)) return true;
  // The driver exports no class for it: a call that met a connection pool being closed.
  if (err instanceof Error && err.name === "MongoPoolClosedError") return true;
  if (err instanceof MongoServerError && typeof err.code === "number" && TRANSIENT_CODES.has(err.code)) return true;
  if (err instanceof MongoServerError && BACKEND_GONE.test(err.message)) return true;
  return false;
}
