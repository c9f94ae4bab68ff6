import { Code, ConnectError } from "@connectrpc/connect";
import { callerFor, keyFromHeader, unknownKey } from "../auth/authenticate.js";
import { KeyMemory } from "../auth/key-memory.js";
import type { Caller } from "../auth/context.js";
import type { ScopeMap } from "../auth/interceptor.js";
import type { ApiKeyInfo, ApiKeyStore } from "../storage/api-keys.js";
import { isUnavailableError, type Availability } from "../storage/availability.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { BodyTooLarge, readBody, type BodyLimits } from "./body.js";
import { quotaHeaders, rateLimited, type Quota, type RateLimits } from "./rate-limit.js";

/** Each started unit of a keyed request's body past the first costs its key one more request. */
export const BODY_UNIT_BYTES = 64 * 1024;

/** A request let in: its caller (for scoped services) and the quota headers to send back. */
export interface Admission {
  caller?: Caller;
  headers: Record<string, string>;
}

/**
 * A refusal at the gate, with the quota headers its response carries too. It carries no stack
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

  /** `service` is the RPC service's type name; undefined for endpoints that need no key. */
  async admit(service: string | undefined, authorization: string | undefined, address: string): Promise<Admission> {
    const needed = service === undefined ? undefined : this.scopes.get(service);
    if (needed === undefined) return { headers: quotaHeaders(await this.takeAddress(address)) };
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
    const q = await this.limits.take("key", caller.keyId);
    if (q && !q.allowed) throw new Refused(rateLimited(q), quotaHeaders(q));
    return { caller, headers: quotaHeaders(q) };
  }

  /**
   * Reads an admitted request's body (readBody) and charges it to the caller's key: one request
   * more per started 64 KiB past the first, whether the body is then accepted or refused (and
   * the limit's worth when it is too large). The service's cost is the bytes it reads and
   * decodes, not the number of requests: a key sending megabytes that will be refused spends
   * its budget 16 times as fast per request as one sending small requests, and a legitimate
   * batch of 1,000 events (~250 KB) costs 4. The response's quota headers say what is left.
   */
  async readBody(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse, admission: Admission, limits: BodyLimits): Promise<Buffer> {
    let bytes = 0;
    try {
      const body = await readBody(req, limits);
      bytes = body.length;
      return body;
    } catch (err) {
      if (err instanceof BodyTooLarge) bytes = limits.maxBytes;
      throw err;
    } finally {
      const extra = Math.ceil(bytes / BODY_UNIT_BYTES) - 1;
      if (admission.caller && extra > 0) {
        const q = await this.limits.charge("key", admission.caller.keyId, extra);
        if (q && !res.headersSent) for (const [k, v] of Object.entries(quotaHeaders(q))) res.setHeader(k, v);
      }
    }
  }

  /** One request from the address's bucket; over the limit, refused with 429's headers. */
  private async takeAddress(address: string, bucket: "address" | "health" = "address"): Promise<Quota | undefined> {
    const q = await this.limits.take(bucket, address);
    if (q && !q.allowed) throw new Refused(rateLimited(q), quotaHeaders(q));
    return q;
  }
}
