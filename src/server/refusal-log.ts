import type { Logger } from "../log.js";

/** How long after a logged refusal the same kind from the same address is only counted. */
const WINDOW_MS = 1000;
/** Addresses tracked at once; past this the oldest are forgotten (their counts logged first). */
const MAX_TRACKED = 10_000;

/** One refusal at the gate (401, 403, 429), as logged. */
export interface Refusal {
  rid: string;
  /** The RPC (`misar.analytics.v1.TrackService/TrackEvent`) or REST path. */
  call: string;
  code: string;
  address: string;
  error: string;
}

interface Recent {
  since: number;
  unlogged: number;
  last: Refusal;
}

/**
 * Logs the gate's refusals (no key, a bad or unscoped key, over a rate limit) so that a flood of
 * them does not turn into a flood of log lines: per client address and code, the first refusal in
 * each second is logged in full, and those like it in the rest of that second are only counted,
 * their number logged with the next line (`similar_not_logged`) or, if none comes, a second later
 * (the last of them, with the number of the others).
 * A log line costs more CPU than the refusal it reports (JSON, scrubbing, a synchronous write:
 * bench/hostile.ts), and a refused request should cost its sender more than the service.
 */
export class RefusalLog {
  private readonly recent = new Map<string, Recent>();
  private flushing?: NodeJS.Timeout;

  constructor(
    private readonly log: Logger,
    private readonly now = () => performance.now(),
  ) {}

  refused(r: Refusal): void {
    const k = `${r.address} ${r.code}`;
    const t = this.now();
    const seen = this.recent.get(k);
    if (seen && t - seen.since < WINDOW_MS) {
      seen.unlogged++;
      seen.last = r;
      this.flushLater();
      return;
    }
    this.log.info("refused", { ...r, ...(seen?.unlogged ? { similar_not_logged: seen.unlogged } : {}) });
    this.recent.delete(k);
    if (this.recent.size >= MAX_TRACKED) this.flush(0);
    this.recent.set(k, { since: t, unlogged: 0, last: r });
  }

  private flushLater(): void {
    this.flushing ??= setInterval(() => this.flush(WINDOW_MS), WINDOW_MS).unref();
  }

  /** Logs the counts of refusals older than `age` ms that no line reported yet, and forgets them. */
  private flush(age: number): void {
    const t = this.now();
    for (const [k, seen] of this.recent) {
      if (t - seen.since < age) continue;
      // The last of them stands for the others.
      if (seen.unlogged > 0) this.log.info("refused", { ...seen.last, ...(seen.unlogged > 1 ? { similar_not_logged: seen.unlogged - 1 } : {}) });
      this.recent.delete(k);
    }
    if (this.recent.size === 0 && this.flushing) {
      clearInterval(this.flushing);
      this.flushing = undefined;
    }
  }
}
