// The database for the several-instances suite: MONGODB_URI when set, else the embedded
// FerretDB on PostgreSQL started alone with `npm run db -- --backend postgres`, as an operator
// would start it for several service processes.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface SharedDatabase {
  uri: string;
  /** What it is, for the test names. */
  kind: string;
  stop(): Promise<void>;
  /** kill -9 of the PostgreSQL postmaster under the embedded FerretDB (which then restarts it); undefined for MONGODB_URI. */
  killPostgres?: () => void;
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
    killPostgres() {
      const pids = descendants(proc.pid!).filter((d) => /\/postgres -D /.test(d.args)).map((d) => d.pid);
      if (pids.length === 0) throw new Error("no PostgreSQL postmaster under npm run db");
      for (const pid of pids) process.kill(pid, "SIGKILL");
    },
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

/** The processes below `root` (ps), with their command lines: only ever this suite's own. */
function descendants(root: number): { pid: number; args: string }[] {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,args="]).toString().split("\n").flatMap((l) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l);
    return m ? [{ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }] : [];
  });
  const out: { pid: number; args: string }[] = [];
  const walk = (pid: number) => {
    for (const r of rows) if (r.ppid === pid) (out.push(r), walk(r.pid));
  };
  walk(root);
  return out;
}
