import type { Logger } from "../log.js";

/** A database process the service started: where it listens, and when it exits. */
export interface DatabaseChild {
  uri: string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface SupervisorHooks {
  /** The child exited: calls should fail fast from now on. */
  down(reason: string): void;
  /** A new child listens at the same URI: resolve once the service's client can use it again. */
  up(): Promise<void>;
}

/** Waits between restart attempts, growing to the last value. */
const BACKOFF_MS = [0, 250, 500, 1000, 2000, 5000];

/**
 * Keeps a database child process running: when it exits without being asked to, the service is
 * told at once (so calls answer `unavailable` rather than hang), and the child is started again on
 * the same data and the same port, so the URI the service's client holds stays valid. Works with
 * whatever `launch` starts (FerretDB on SQLite today): it needs only the URI and the exit.
 */
export class DatabaseSupervisor<C extends DatabaseChild = DatabaseChild> {
  private stopping = false;
  private restarts = 0;

  private constructor(
    private child: C,
    private readonly launch: (port: number) => Promise<C>,
    private readonly hooks: SupervisorHooks,
    private readonly log: Logger,
  ) {}

  /** Starts the first child (any free port) and watches it. */
  static async start<C extends DatabaseChild>(launch: (port: number) => Promise<C>, hooks: SupervisorHooks, log: Logger): Promise<DatabaseSupervisor<C>> {
    const sup = new DatabaseSupervisor(await launch(0), launch, hooks, log);
    sup.watch();
    return sup;
  }

  get uri(): string {
    return this.child.uri;
  }

  /** The child running now. */
  get current(): C {
    return this.child;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.child.stop();
  }

  private watch(): void {
    const watched = this.child;
    void watched.exited.then((code) => {
      if (this.stopping || watched !== this.child) return;
      this.hooks.down(`database process exited (${code ?? "signal"})`);
      this.log.error("embedded database exited; restarting it", { code });
      void this.restart();
    });
  }

  private async restart(): Promise<void> {
    const port = Number(new URL(this.child.uri).port);
    for (let attempt = 0; !this.stopping; attempt++) {
      await sleep(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!);
      if (this.stopping) return;
      try {
        const child = await this.launch(port);
        this.child = child;
        this.restarts++;
        this.watch();
        await this.hooks.up();
        this.log.info("embedded database restarted", { restarts: this.restarts });
        return;
      } catch (err) {
        this.log.error("restarting the embedded database failed; trying again", { attempt, error: err });
      }
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
