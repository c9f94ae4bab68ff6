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
  /** Events waiting, over every account. */
  events = 0;

  add(account: string, entryIds: readonly string[], docs: readonly EmailEventDoc[], openedAt: number): void {
    const u = this.byAccount.get(account);
    if (u) {
      // A batch that joined an entry already waiting (EmailIngest.recordGroup) adds no second copy of it.
      for (const id of entryIds) if (!u.entryIds.includes(id)) u.entryIds.push(id);
      u.docs.push(...docs);
    } else {
      this.byAccount.set(account, { entryIds: [...entryIds], docs: [...docs], openedAt });
    }
    this.events += docs.length;
  }

  /** A journal entry of the account's batches waiting (undefined when none wait). */
  entryOf(account: string): string | undefined {
    return this.byAccount.get(account)?.entryIds[0];
  }

  /** Whether the account has batches waiting. */
  has(account: string): boolean {
    return this.byAccount.has(account);
  }

  get size(): number {
    return this.byAccount.size;
  }

  /** Takes everything waiting, accounts in sorted order. */
  take(): [string, Uncounted][] {
    const taken = [...this.byAccount].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.byAccount = new Map();
    this.events = 0;
    return taken;
  }

  /** Takes what waits of one account (a read of it counts that alone). */
  takeAccount(account: string): Uncounted | undefined {
    const u = this.byAccount.get(account);
    if (!u) return undefined;
    this.byAccount.delete(account);
    this.events -= u.docs.length;
    return u;
  }
}
