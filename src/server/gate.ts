import { Code, ConnectError } from "@connectrpc/connect";
import { callerFor, keyFromHeader, unknownKey } from "../auth/authenticate.js";
import { KeyMemory } from "../auth/key-memory.js";
import type { Caller } from "../auth/context.js";
import type { ScopeMap } from "../auth/interceptor.js";
import type { ApiKeyInfo, ApiKeyStore } from "../storage/api-keys.js";
import { isUnavailableError, type Availability } from "../storage/availability.js";
import { BodyCharge, bodyUnits, type Bucket } from "./body-charge.js";
import { quotaHeaders, rateLimited, type Quota, type RateLimits } from "./rate-limit.js";
import { Refused } from "./refused.js";

/** A request let in: its caller (for scoped services), the quota headers to send back, and the bucket it drew on. */
export interface Admission {
  caller?: Caller;
  headers: Record<string, string>;
  bucket?: Bucket;
}

/**
 * Authentication, scope and rate limit, from the headers alone, before any body is read: a
 * request without a valid key costs a header check whatever it sends after. Keyed calls draw on
 * their key's bucket; everything else (no or a bad key, health, the OpenAPI document) on the
 * client address's, so guessing keys is limited too. A well-formed key this process has not
 * lately seen live is paid for from the address's bucket *before* its database lookup (and
 * refunded if it proves live), and a key already found unknown or revoked is refused without
 * one (KeyMemory): a flood of made-up keys costs the database at most the address's budget.
 */
export class Gate {
  private readonly memory = new KeyMemory();
  constructor(
    private readonly keys: ApiKeyStore,
    private readonly scopes: ScopeMap,
    private readonly limits: RateLimits,
    private readonly availability: Availability,
  ) {}

  /** A health check (`/healthz`), on its address's bucket for health checks. */
  async admitHealthCheck(address: string): Promise<Admission> {
    return { headers: quotaHeaders(await this.takeAddress(address, "health")) };
  }

  /**
   * `service` is the RPC service's type name; undefined for endpoints that need no key.
   * `declaredBytes`, the body's `content-length` when it has one, is what a refusal's
   * Retry-After waits for: a request sent again pays for its whole body.
   */
  async admit(service: string | undefined, authorization: string | undefined, address: string, declaredBytes?: number): Promise<Admission> {
    // A request sent again pays its admission and its whole declared body.
    const retry = declaredBytes ? Math.max(1, bodyUnits(declaredBytes)) : 1;
    const needed = service === undefined ? undefined : this.scopes.get(service);
    if (needed === undefined) return { headers: quotaHeaders(await this.takeAddress(address, "address", retry)), bucket: { kind: "address", id: address } };
    // Keys live in the database: while it is down a key cannot be checked (`unavailable`, at
    // once, rather than waiting out the driver's server selection).
    if (this.availability.down !== undefined) throw new ConnectError(`the database is unavailable (${this.availability.down}); retry shortly`, Code.Unavailable);
    let key: string;
    try {
      key = keyFromHeader(authorization);
    } catch (err) {
      throw new Refused(ConnectError.from(err), quotaHeaders(await this.takeAddress(address)));
    }
    const known = this.memory.recall(key);
    if (known === "refused") throw new Refused(unknownKey(), quotaHeaders(await this.takeAddress(address)));
    // Not seen live lately: the address pays for the lookup up front.
    const prepaid = known === undefined ? { quota: await this.takeAddress(address) } : undefined;
    let info: ApiKeyInfo | undefined;
    try {
      info = await this.keys.verify(key);
    } catch (err) {
      if (prepaid) await this.limits.refund("address", address);
      if (isUnavailableError(err)) throw new ConnectError("the database is unavailable; retry shortly", Code.Unavailable, undefined, undefined, err);
      throw err;
    }
    this.memory.remember(key, info !== undefined);
    let caller: Caller;
    try {
      caller = callerFor(info, needed);
    } catch (err) {
      throw new Refused(ConnectError.from(err), quotaHeaders(prepaid ? prepaid.quota : await this.takeAddress(address)));
    }
    if (prepaid) await this.limits.refund("address", address);
    const q = await this.limits.take("key", caller.keyId, 1, retry);
    if (q && !q.allowed) throw new Refused(rateLimited(q), quotaHeaders(q));
    return { caller, headers: quotaHeaders(q), bucket: { kind: "key", id: caller.keyId } };
  }

  /** What the admitted request's body costs, paid as it is read and decoded (see BodyCharge). */
  bodyCharge(admission: Admission): BodyCharge {
    return new BodyCharge(this.limits, admission.bucket);
  }

  /** One request from the address's bucket; over the limit, refused with 429's headers (Retry-After for `retry` requests). */
  private async takeAddress(address: string, bucket: "address" | "health" = "address", retry = 1): Promise<Quota | undefined> {
    const q = await this.limits.take(bucket, address, 1, retry);
    if (q && !q.allowed) throw new Refused(rateLimited(q), quotaHeaders(q));
    return q;
  }
}
