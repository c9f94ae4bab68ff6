import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { declaredLength, readBody, type BodyLimits } from "./body.js";
import { Refused } from "./refused.js";
import { quotaHeaders, rateLimited, type Kind, type Quota, type RateLimits } from "./rate-limit.js";

/** Each started unit of a body past the first costs its bucket one more request. */
export const BODY_UNIT_BYTES = 64 * 1024;

/** The units `bytes` of body start: what a body of that size costs in all, its admission included. */
export function bodyUnits(bytes: number): number {
  return Math.ceil(bytes / BODY_UNIT_BYTES);
}

/** The bucket a request was admitted on (its key's, or its address's without one). */
export interface Bucket {
  kind: Kind;
  id: string;
}

/**
 * Pays for a request's body by the 64 KiB unit from the bucket its admission drew on, before the
 * bytes are taken in: the whole declared length before the first byte is read, else each unit as
 * it arrives, and the decoded size of a compressed message before it is checked. What a request
 * costs the service is the bytes it reads and decodes, not the number of requests: a key sending
 * 1 MiB bodies that will be refused spends its budget 16 times as fast per request as one sending
 * small requests, and however many such requests it sends at once, none reads or decodes a unit
 * its bucket has not paid for (over the limit: 429 / RESOURCE_EXHAUSTED, the rest unread). A
 * legitimate batch of 1,000 events (~250 KB) costs 4. The admission's request paid for the first unit.
 */
export class BodyCharge {
  private paidUnits = 1;
  private quota?: Quota;
  constructor(
    private readonly limits: RateLimits,
    private readonly bucket: Bucket | undefined,
  ) {}

  /**
   * Pays for `bytes` in all (what was paid already is not paid again; `whole`: that is the whole
   * body); refused when the bucket cannot. A body never costs more than a whole bucket: with a bucket smaller than the largest
   * body allowed, such a body waits for a full bucket rather than being refused on every retry.
   */
  async cover(bytes: number, whole = false): Promise<void> {
    if (!this.bucket) return;
    const units = Math.min(bodyUnits(bytes), this.limits.capacity(this.bucket.kind));
    if (units <= this.paidUnits) return;
    // Refused, the client is told to wait until the bucket holds what sending the request again
    // costs: all of it (the admission's request pays its first unit), at least one unit more than
    // has arrived when the length is not known yet.
    const retry = whole ? units : units + 1;
    const q = await this.limits.take(this.bucket.kind, this.bucket.id, units - this.paidUnits, retry);
    if (!q) return;
    this.quota = q;
    if (!q.allowed) throw new Refused(rateLimited(q), quotaHeaders(q));
    this.paidUnits = units;
  }

  /** Reads the whole body (readBody), each unit paid for as it arrives (the declared length first). */
  async read(req: IncomingMessage | Http2ServerRequest, limits: BodyLimits): Promise<Buffer> {
    const declared = declaredLength(req);
    if (declared !== undefined && declared <= limits.maxBytes) await this.cover(declared, true);
    return readBody(req, limits, (size) => this.cover(size));
  }

  /** Sets the quota headers to what is left after the body's charge, if it was charged and nothing is sent yet. */
  settle(res: ServerResponse | Http2ServerResponse): void {
    if (!this.quota || res.headersSent) return;
    for (const [k, v] of Object.entries(quotaHeaders(this.quota))) res.setHeader(k, v);
  }
}
