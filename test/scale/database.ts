// The database for the several-instances suite: MONGODB_URI when set, else the embedded
// FerretDB on PostgreSQL started alone with `npm run db -- --backend postgres`, as an operator
// would start it for several service processes.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface SharedDatabase {
  uri: string;
  /** What it is, for the test names. */
  kind: string;
  stop(): Promise<void>;
}

export async function startSharedDatabase(): Promise<SharedDatabase> {
  const given = process.env.MONGODB_URI?.trim();
  if (given) return { uri: given, kind: "MONGODB_URI", stop: () => Promise.resolve() };
  const dir = mkdtempSync(join(tmpdir(), "misar-scale-"));
  // As root, PostgreSQL runs as an unprivileged account, which must reach its files in here.
  chmodSync(dir, 0o755);
  // Its own process group, so that stopping it reaches npm's children (the database itself).
  const proc = spawn("npm", ["run", "--silent", "db", "--", "--backend", "postgres"], {
    env: { ...process.env, DATA_DIR: join(dir, "ferretdb"), MONGODB_URI: "", LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  const uri = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm run db printed no MONGODB_URI in 180 s:\n${stderr}`)), 180_000);
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      const m = /^MONGODB_URI=(mongodb:\/\/\S+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`npm run db exited (${code}):\n${stderr}`)));
  });
  return {
    uri,
    kind: "FerretDB on PostgreSQL (npm run db)",
    async stop() {
      await stopGroup(proc, exited);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function stopGroup(proc: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  process.kill(-proc.pid!, "SIGTERM");
  const timer = setTimeout(() => process.kill(-proc.pid!, "SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}
