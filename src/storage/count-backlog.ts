import type { EmailEventDoc } from "./email-events.js";

/** One account's answered batches whose new events are not counted yet. */
export interface Uncounted {
  /** Their journal entries, still open (and renewed) until the events are counted. */
  entryIds: string[];
  /** Their newly stored events, in the order they arrived. */
  docs: EmailEventDoc[];
  /** When the first of those entries was opened (performance.now()). */
  openedAt: number;
}

/**
 * The batches this process has answered 200 (their events stored, their journal entries open)
 * and not yet counted, by account. Counting them together later writes each shared derived
 * document once instead of once per batch (src/storage/email-ingest.ts says when).
 */
export class CountBacklog {
  private byAccount = new Map<string, Uncounted>();
  private entries = new Set<string>();
  /** Events waiting, over every account. */
  events = 0;

  add(account: string, entryIds: readonly string[], docs: readonly EmailEventDoc[], openedAt: number): void {
    const u = this.byAccount.get(account);
    if (u) {
      u.entryIds.push(...entryIds);
      u.docs.push(...docs);
    } else {
      this.byAccount.set(account, { entryIds: [...entryIds], docs: [...docs], openedAt });
    }
    for (const id of entryIds) this.entries.add(id);
    this.events += docs.length;
  }

  /** Whether the account has batches waiting. */
  has(account: string): boolean {
    return this.byAccount.has(account);
  }

  /** Whether this journal entry's batch is waiting. */
  holds(entryId: string): boolean {
    return this.entries.has(entryId);
  }

  get size(): number {
    return this.byAccount.size;
  }

  /** Takes everything waiting, accounts in sorted order (the order leases are taken in everywhere). */
  take(): [string, Uncounted][] {
    const taken = [...this.byAccount].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.byAccount = new Map();
    this.entries = new Set();
    this.events = 0;
    return taken;
  }
}
