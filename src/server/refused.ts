import type { ConnectError } from "@connectrpc/connect";

/**
 * A refusal before any handler runs (the gate's, or a body its bucket cannot pay for: see
 * BodyCharge), with the quota headers its response carries too. It carries no stack
 * trace: it is control flow, not a fault, and capturing one would cost every refused request.
 */
export class Refused extends Error {
  readonly error: ConnectError;
  readonly headers: Record<string, string>;
  constructor(error: ConnectError, headers: Record<string, string>) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(error.message);
    Error.stackTraceLimit = limit;
    this.error = error;
    this.headers = headers;
  }
}
