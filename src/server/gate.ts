import { Code, ConnectError } from "@connectrpc/connect";
import { authenticate } from "../auth/authenticate.js";
import type { Caller } from "../auth/context.js";
import type { ScopeMap } from "../auth/interceptor.js";
import type { ApiKeyStore } from "../storage/api-keys.js";
import { isUnavailableError, type Availability } from "../storage/availability.js";
import { quotaHeaders, rateLimited, type RateLimits } from "./rate-limit.js";

/** A request let in: its caller (for scoped services) and the quota headers to send back. */
export interface Admission {
  caller?: Caller;
  headers: Record<string, string>;
}

/** A refusal at the gate, with the quota headers its response carries too. */
export class Refused extends Error {
  constructor(
    readonly error: ConnectError,
    readonly headers: Record<string, string>,
  ) {
    super(error.message);
  }
}

/**
 * Authentication, scope and rate limit, from the headers alone, before any body is read: a
 * request without a valid key costs a header check (and, for a well-formed key, one lookup by
 * _id), whatever it sends after. Keyed calls draw on their key's bucket; everything else (no or
 * a bad key, health, the OpenAPI document) on the client address's, so guessing keys is limited
 * too.
 */
export class Gate {
  constructor(
    private readonly keys: ApiKeyStore,
    private readonly scopes: ScopeMap,
    private readonly limits: RateLimits,
    private readonly availability: Availability,
  ) {}

  /** `service` is the RPC service's type name; undefined for endpoints that need no key. */
  async admit(service: string | undefined, authorization: string | undefined, address: string): Promise<Admission> {
    const needed = service === undefined ? undefined : this.scopes.get(service);
    let authError: ConnectError | undefined;
    if (needed !== undefined) {
      try {
        // Keys live in the database: while it is down a key cannot be checked (`unavailable`,
        // at once, rather than waiting out the driver's server selection).
        if (this.availability.down !== undefined) throw new ConnectError(`the database is unavailable (${this.availability.down}); retry shortly`, Code.Unavailable);
        const caller = await authenticate(this.keys, authorization, needed);
        const q = await this.limits.take("key", caller.keyId);
        if (q && !q.allowed) throw new Refused(rateLimited(q), quotaHeaders(q));
        return { caller, headers: quotaHeaders(q) };
      } catch (err) {
        if (err instanceof Refused) throw err;
        if (isUnavailableError(err)) throw new ConnectError("the database is unavailable; retry shortly", Code.Unavailable, undefined, undefined, err);
        authError = ConnectError.from(err);
        if (authError.code !== Code.Unauthenticated && authError.code !== Code.PermissionDenied) throw err;
      }
    }
    const q = await this.limits.take("address", address);
    if (q && !q.allowed) throw new Refused(rateLimited(q), quotaHeaders(q));
    if (authError) throw new Refused(authError, quotaHeaders(q));
    return { headers: quotaHeaders(q) };
  }
}
