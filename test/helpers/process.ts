// The service's real entry point (src/main.ts) as a child process, for tests that kill it,
// restart it, or run several of it on one database.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface ServiceProcess {
  proc: ChildProcess;
  port: number;
  url: string;
  /** Every JSON log record so far. */
  records: Record<string, unknown>[];
  /** stdout so far (the first start of a fresh embedded database prints a key there). */
  stdout(): string;
  /** The key the first start of a fresh embedded database prints (once it has stored it, a moment after listening). */
  printedKey(timeoutMs?: number): Promise<string>;
  /** stderr so far (the last 200 kB). */
  stderr(): string;
  /** Resolves with the first log record (past or future) that matches. */
  waitFor(match: (r: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  /** SIGKILL, and wait for the exit. */
  kill9(): Promise<void>;
}

/** Starts `node --import tsx src/main.ts` with `env` on top of this process's, and waits until it listens. */
export async function startServiceProcess(env: Record<string, string>, timeoutMs = 120_000): Promise<ServiceProcess> {
  // node itself (not npx) so that signals reach the service and its exit code reaches us.
  const proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { ...process.env, PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const records: Record<string, unknown>[] = [];
  const waiters: { match: (r: Record<string, unknown>) => boolean; resolve: (r: Record<string, unknown>) => void }[] = [];
  let out = "";
  let err = "";
  let keyPrinted!: (key: string) => void;
  const printed = new Promise<string>((resolve) => (keyPrinted = resolve));
  proc.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    const key = /msk_[A-Za-z0-9_-]{32}/.exec(out);
    if (key) keyPrinted(key[0]);
  });
  createInterface({ input: proc.stderr! }).on("line", (line) => {
    err = (err + line + "\n").slice(-200_000);
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    records.push(rec);
    for (const w of [...waiters]) {
      if (w.match(rec)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(rec);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const waitFor = (match: (r: Record<string, unknown>) => boolean, ms = 30_000) => {
    const past = records.find(match);
    if (past) return Promise.resolve(past);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log record in ${ms} ms; stderr:\n${err}`)), ms);
      waiters.push({ match, resolve: (r) => (clearTimeout(timer), resolve(r)) });
      void exited.then((code) => reject(new Error(`service exited (${code}) first; stderr:\n${err}`)));
    });
  };
  const listening = await waitFor((r) => r.msg === "listening", timeoutMs);
  const port = listening.port as number;
  return {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    records,
    stdout: () => out,
    printedKey: (ms = 60_000) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no key printed in ${ms} ms; stdout:\n${out}\nstderr:\n${err}`)), ms);
        void printed.then((key) => (clearTimeout(timer), resolve(key)));
        void exited.then((code) => (clearTimeout(timer), reject(new Error(`service exited (${code}) before printing a key; stderr:\n${err}`))));
      }),
    stderr: () => err,
    waitFor,
    exited,
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
  };
}
