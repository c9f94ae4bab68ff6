import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import ipaddr from "ipaddr.js";
import { TokenBucket } from "limiter";
import { RetryInfoSchema } from "../../gen/es/google/rpc/error_details_pb.js";

/**
 * A token bucket: holds at most `requests`, refilled continuously at `requests` per `seconds`
 * (empty to full in `seconds`); 0 requests turns the limit off.
 */
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
  /** Whole requests left in the bucket. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until the bucket holds what the refused request costs (0 when allowed). */
  retrySeconds: number;
}

/**
 * Rate limits per API key and per client address: a token bucket per caller (limiter's
 * TokenBucket), in this process's memory (so with several instances each enforces its own).
 */
export class RateLimits {
  private readonly byKey?: Buckets;
  private readonly byAddress?: Buckets;
  private readonly healthByAddress?: Buckets;
  constructor(private readonly config: RateLimitConfig) {
    const make = (b: Bucket) => (b.requests > 0 ? new Buckets(b) : undefined);
    this.byKey = make(config.perKey);
    this.byAddress = make(config.perAddress);
    // Health checks draw on a bucket of their own (the same size per address): a load balancer
    // probing from an address that also carries hostile traffic (a shared proxy, NAT) must not
    // see 429 because someone there guessed keys, and pull a healthy instance out of service.
    this.healthByAddress = make(config.perAddress);
  }

  /** Gives one request back to a bucket (paid in advance for a key lookup the key then justified). */
  refund(kind: Kind, id: string): Promise<void> {
    this.buckets(kind)?.refund(callerOf(kind, id), 1);
    return Promise.resolve();
  }

  private buckets(kind: Kind): Buckets | undefined {
    return kind === "key" ? this.byKey : kind === "address" ? this.byAddress : this.healthByAddress;
  }

  /** A bucket's size, in requests (0: no limit). */
  capacity(kind: Kind): number {
    return kind === "key" ? this.config.perKey.requests : this.config.perAddress.requests;
  }

  /**
   * Takes `points` (one request's worth by default) from a bucket; over the limit, `allowed` is
   * false and `retrySeconds` says when the bucket will hold `retryPoints`: what the request would
   * cost if sent again (a body's whole price, not just the part refused).
   */
  take(kind: Kind, id: string, points = 1, retryPoints = points): Promise<Quota | undefined> {
    return Promise.resolve(this.buckets(kind)?.take(callerOf(kind, id), points, retryPoints));
  }

  /** Callers remembered now, per kind of bucket (tests). */
  remembered(kind: Kind): number {
    return this.buckets(kind)?.size ?? 0;
  }
}

/** Most callers remembered per kind of bucket (~330 bytes each): past it the least recently seen is forgotten. */
const MAX_BUCKETS = 50_000;

/** Buckets looked at for dropping, from the least recently used end, per request. */
const SWEEP_PER_TAKE = 2;

/**
 * One token bucket per caller, in least-recently-used order. A bucket that has refilled is the
 * same as none, so each request drops up to two such buckets from the least recently used end:
 * memory holds about the callers seen within a refill time, with no pause to sweep them all. At
 * most MAX_BUCKETS are kept; a flood of new callers (addresses) past that makes the least
 * recently seen caller's bucket forgotten, i.e. full again.
 */
class Buckets {
  private readonly byId = new Map<string, TokenBucket>();
  /** Tokens per millisecond. */
  private readonly rate: number;
  constructor(private readonly bucket: Bucket) {
    this.rate = bucket.requests / (bucket.seconds * 1000);
  }

  take(id: string, points: number, retryPoints: number): Quota {
    const b = this.get(id);
    // No request costs more than a whole bucket (BodyCharge caps a body's price; limiter throws
    // on a wait for more than the bucket holds).
    const cost = Math.min(points, this.bucket.requests);
    const allowed = b.tryRemoveTokens(cost);
    const retryMs = allowed ? 0 : b.getWaitTime(Math.min(Math.max(retryPoints, cost), this.bucket.requests));
    return {
      allowed,
      limit: this.bucket.requests,
      remaining: Math.floor(b.content),
      resetSeconds: Math.max(1, Math.ceil((this.bucket.requests - b.content) / this.rate / 1000)),
      retrySeconds: allowed ? 0 : Math.max(1, Math.ceil(retryMs / 1000)),
    };
  }

  refund(id: string, points: number): void {
    const b = this.byId.get(id);
    if (!b) return;
    b.drip();
    b.content = Math.min(this.bucket.requests, b.content + points);
  }

  /** Callers remembered now. */
  get size(): number {
    return this.byId.size;
  }

  private get(id: string): TokenBucket {
    this.dropFull();
    let b = this.byId.get(id);
    if (b) {
      // To the most recently used end.
      this.byId.delete(id);
    } else {
      if (this.byId.size >= MAX_BUCKETS) this.byId.delete(this.byId.keys().next().value!);
      b = new TokenBucket({ bucketSize: this.bucket.requests, tokensPerInterval: this.bucket.requests, interval: this.bucket.seconds * 1000 });
      // limiter's buckets start empty; a caller not seen lately has a full one.
      b.content = this.bucket.requests;
    }
    this.byId.set(id, b);
    return b;
  }

  /** Drops refilled buckets from the least recently used end, a few per request. */
  private dropFull(): void {
    for (let i = 0; i < SWEEP_PER_TAKE; i++) {
      const oldest = this.byId.entries().next();
      if (oldest.done) return;
      const [id, b] = oldest.value;
      b.drip();
      if (b.content < this.bucket.requests) return;
      this.byId.delete(id);
    }
  }
}

/**
 * The caller an address's bucket belongs to: the address itself, but for IPv6 its /64 (one
 * host's or one customer's usual allocation), so that the addresses of one network do not each
 * get a bucket of their own. IPv4-mapped IPv6 addresses count as their IPv4 address.
 */
export function addressCaller(address: string): string {
  if (!address.includes(":") || !ipaddr.isValid(address)) return address;
  const ip = ipaddr.parse(address);
  if (ip.kind() === "ipv4") return ip.toString();
  const v6 = ip as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return `${v6.toNormalizedString().split(":").slice(0, 4).join(":")}::/64`;
}

/** The bucket a request draws on: its key's, its address's, or its address's for health checks. */
export type Kind = "key" | "address" | "health";

function callerOf(kind: Kind, id: string): string {
  return kind === "key" ? id : addressCaller(id);
}

/** The quota headers every response carries (IETF draft names; Retry-After when refused). */
export function quotaHeaders(q: Quota | undefined): Record<string, string> {
  if (!q) return {};
  const h: Record<string, string> = {
    "ratelimit-limit": String(q.limit),
    "ratelimit-remaining": String(q.remaining),
    "ratelimit-reset": String(q.resetSeconds),
  };
  if (!q.allowed) h["retry-after"] = String(q.retrySeconds);
  return h;
}

/**
 * RESOURCE_EXHAUSTED with a google.rpc.RetryInfo detail saying when to try again. Made once per
 * limit and delay (a bucket's refill time at most): in a flood every refused request needs one, and
 * building it (a stack trace, Headers, the detail) costs more than the refusal's other work.
 */
export function rateLimited(q: Quota): ConnectError {
  const k = `${q.limit}/${q.retrySeconds}`;
  let err = refusals.get(k);
  if (!err) {
    if (refusals.size >= 1000) refusals.clear();
    refusals.set(k, (err = newRateLimited(q)));
  }
  return err;
}
const refusals = new Map<string, ConnectError>();

function newRateLimited(q: Quota): ConnectError {
  return new ConnectError(`rate limit exceeded: a bucket of ${q.limit} requests; retry in ${q.retrySeconds} s`, Code.ResourceExhausted, undefined, [
    { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationFromMs(q.retrySeconds * 1000) }) },
  ]);
}
