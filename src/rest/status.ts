import { Code } from "@connectrpc/connect";

/** The HTTP status for each RPC code: the one place REST statuses are decided. */
export function httpStatus(code: Code): number {
  switch (code) {
    case Code.InvalidArgument:
    case Code.FailedPrecondition:
    case Code.OutOfRange:
      return 400;
    case Code.Unauthenticated:
      return 401;
    case Code.PermissionDenied:
      return 403;
    case Code.NotFound:
      return 404;
    case Code.AlreadyExists:
    case Code.Aborted:
      return 409;
    case Code.ResourceExhausted:
      return 429;
    case Code.Canceled:
      return 499;
    case Code.Unimplemented:
      return 501;
    case Code.Unavailable:
      return 503;
    case Code.DeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

/** The error body's `code`: the RPC code's name in snake_case, e.g. invalid_argument. */
export function codeName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/**
 * Extra headers for an error status: `Retry-After` (seconds) when the call may succeed if
 * repeated shortly (the database restarting, the server shutting down, an account's repair).
 */
export function errorHeaders(code: Code): Record<string, string> {
  return code === Code.Unavailable ? { "retry-after": "1" } : {};
}
