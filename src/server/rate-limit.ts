import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { RetryInfoSchema } from "../../gen/es/google/rpc/error_details_pb.js";

/** A bucket of `requests` that refills every `seconds`; 0 requests turns the limit off. */
export interface Bucket {
  requests: number;
  seconds: number;
}

export interface RateLimitConfig {
  /** Per API key, for authenticated calls. */
  perKey: Bucket;
  /** Per client address, for everything without a valid key (401s, health, /openapi.json, the dashboard, 404s and 405s). */
  perAddress: Bucket;
}

/** What is left of a caller's bucket after this request. */
export interface Quota {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
}

/**
 * Rate limits per API key and per client address, kept in this process's memory by
 * rate-limiter-flexible (so with several instances each enforces its own limits).
 */
export class RateLimits {
  private readonly byKey?: RateLimiterMemory;
  private readonly byAddress?: RateLimiterMemory;
  private readonly healthByAddress?: RateLimiterMemory;
  constructor(private readonly config: RateLimitConfig) {
    const make = (b: Bucket, prefix: string) =>
      b.requests > 0 ? new RateLimiterMemory({ keyPrefix: prefix, points: b.requests, duration: b.seconds }) : undefined;
    this.byKey = make(config.perKey, "key");
    this.byAddress = make(config.perAddress, "addr");
    // Health checks draw on a bucket of their own (the same size per address): a load balancer
    // probing from an address that also carries hostile traffic (a shared proxy, NAT) must not
    // see 429 because someone there guessed keys, and pull a healthy instance out of service.
    this.healthByAddress = make(config.perAddress, "health");
  }

  /** Gives one request back to a bucket (paid in advance for a key lookup the key then justified). */
  async refund(kind: Kind, id: string): Promise<void> {
    await this.limiter(kind)?.reward(id, 1);
  }

  private quota(kind: Kind, r: RateLimiterRes, allowed: boolean): Quota {
    const limit = kind === "key" ? this.config.perKey.requests : this.config.perAddress.requests;
    return { allowed, limit, remaining: Math.max(0, r.remainingPoints), resetSeconds: Math.max(1, Math.ceil(r.msBeforeNext / 1000)) };
  }

  private limiter(kind: Kind): RateLimiterMemory | undefined {
    return kind === "key" ? this.byKey : kind === "address" ? this.byAddress : this.healthByAddress;
  }

  /** A bucket's size, in requests (0: no limit). */
  capacity(kind: Kind): number {
    return kind === "key" ? this.config.perKey.requests : this.config.perAddress.requests;
  }

  /** Takes `points` (one request's worth by default) from a bucket; over the limit, `allowed` is false. */
  take(kind: Kind, id: string, points = 1): Promise<Quota | undefined> {
    const limiter = this.limiter(kind);
    if (!limiter) return Promise.resolve(undefined);
    return limiter.consume(id, points).then(
      (r) => this.quota(kind, r, true),
      (r: unknown) => {
        if (r instanceof RateLimiterRes) return this.quota(kind, r, false);
        throw r;
      },
    );
  }
}

/** The bucket a request draws on: its key's, its address's, or its address's for health checks. */
export type Kind = "key" | "address" | "health";

/** The quota headers every response carries (IETF draft names; Retry-After when refused). */
export function quotaHeaders(q: Quota | undefined): Record<string, string> {
  if (!q) return {};
  const h: Record<string, string> = {
    "ratelimit-limit": String(q.limit),
    "ratelimit-remaining": String(q.remaining),
    "ratelimit-reset": String(q.resetSeconds),
  };
  if (!q.allowed) h["retry-after"] = String(q.resetSeconds);
  return h;
}

/**
 * RESOURCE_EXHAUSTED with a google.rpc.RetryInfo detail saying when to try again. Made once per
 * limit and delay (a window's worth at most): in a flood every refused request needs one, and
 * building it (a stack trace, Headers, the detail) costs more than the refusal's other work.
 */
export function rateLimited(q: Quota): ConnectError {
  const k = `${q.limit}/${q.resetSeconds}`;
  let err = refusals.get(k);
  if (!err) {
    if (refusals.size >= 1000) refusals.clear();
    refusals.set(k, (err = newRateLimited(q)));
  }
  return err;
}
const refusals = new Map<string, ConnectError>();

function newRateLimited(q: Quota): ConnectError {
  return new ConnectError(`rate limit exceeded: ${q.limit} requests per window; retry in ${q.resetSeconds} s`, Code.ResourceExhausted, undefined, [
    { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationFromMs(q.resetSeconds * 1000) }) },
  ]);
}
