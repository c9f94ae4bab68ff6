import type { Logger } from "../log.js";
import type { EmailIngest } from "./email-ingest.js";

/**
 * Repairs, while the service serves, every account with a due journal entry (a batch cut short
 * by a crash, a database error or shutdown, or a queued rebuild), each under its lease, so any
 * number of instances may run it. Repairs the accounts found at startup first, then looks again
 * every `intervalMs`.
 */
export class RepairLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private pending = 0;

  constructor(
    private readonly ingest: EmailIngest,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.tick();
  }

  /** Accounts due for repair at the last look (0: the derived data of every account is complete). */
  get due(): number {
    return this.pending;
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.intervalMs);
    });
  }

  private async pass(): Promise<void> {
    try {
      const due = await this.ingest.dueAccounts();
      this.pending = due.length;
      if (due.length === 0) return;
      const started = performance.now();
      const repaired = await this.ingest.repairDue((account, phase) =>
        this.log.info(phase === "start" ? "rebuild started" : "rebuild finished", { account }),
      );
      if (repaired.length) {
        this.log.warn("rebuilt derived data after an interrupted ingest", { accounts: repaired.length, ms: Math.round(performance.now() - started) });
      }
      this.pending = (await this.ingest.dueAccounts()).length;
    } catch (err) {
      this.log.warn("repair pass failed; trying again", { error: err });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
