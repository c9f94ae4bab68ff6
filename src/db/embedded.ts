import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { join } from "node:path";
import type { EmbeddedBackend } from "../config.js";
import type { Logger } from "../log.js";
import { DatabaseUnavailableError } from "./errors.js";
import { startPostgres } from "./postgres.js";

export { DatabaseUnavailableError };


/** A database server this process started, and how to stop it. */
export interface EmbeddedDatabase {
  uri: string;
  kind: "ferretdb-sqlite" | "ferretdb-postgresql" | "mongod";
  /** The database server's process (benchmarks read its CPU time). */
  pid: number | undefined;
  /** Settles when the database process exits, for whatever reason (see supervisor.ts). */
  exited: Promise<number | null>;
  /**
   * Makes exact-`_id` lookups in `database` index lookups; run it once its collections exist
   * (see indexIdLookups). Nothing to do but on SQLite.
   */
  indexIdLookups(database: string): Promise<number>;
  stop(): Promise<void>;
}

/** The FerretDB wrapper program lives in tools/ferretdb and is built into .cache/bin. */
export function ferretdbBinary(root: string): string {
  return join(root, ".cache", "bin", "ferretdb");
}

/**
 * Starts the embedded database (see EmbeddedBackend): FerretDB v1.24.2 (built with `go install`
 * the first time) on SQLite files in dataDir or on a PostgreSQL cluster in dataDir/postgresql;
 * with no backend named, a `mongod` on PATH if there is one. `port` 0 picks a free one; a
 * restart (supervisor.ts) asks for the port it had, so the URI stays.
 */
export async function startEmbeddedDatabase(
  root: string,
  dataDir: string,
  log: Logger,
  opts: { backend?: EmbeddedBackend; port?: number } = {},
): Promise<EmbeddedDatabase> {
  const port = opts.port ?? 0;
  mkdirSync(dataDir, { recursive: true });
  if (opts.backend === "postgres") return startFerretdbOnPostgres(root, dataDir, log, port);
  if (opts.backend === undefined && onPath("mongod")) return startMongod(dataDir, log, port);
  const bin = ensureFerretdb(root, log);
  const child = spawn(bin, ["-data", dataDir, "-listen", `127.0.0.1:${port}`], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = exitOf(child);
  const uri = await firstJsonLine(child, "uri");
  log.info("embedded FerretDB started", { uri, dataDir, pid: child.pid });
  return { uri, kind: "ferretdb-sqlite", pid: child.pid, exited, indexIdLookups: (db) => indexIdLookups(root, dataDir, db), stop: () => stopChild(child) };
}

/**
 * FerretDB on the private PostgreSQL cluster (src/db/postgres.ts). The two live and die together:
 * when either exits, the other is stopped, so whoever watches FerretDB (supervisor.ts) sees the
 * database go, and a restart starts both again.
 */
async function startFerretdbOnPostgres(root: string, dataDir: string, log: Logger, port: number): Promise<EmbeddedDatabase> {
  const bin = ensureFerretdb(root, log);
  const pg = await startPostgres(join(dataDir, "postgresql"), log);
  // The URL carries the cluster's password: in the environment, not on a command line others can read.
  const child = spawn(bin, ["-handler", "postgresql", "-listen", `127.0.0.1:${port}`], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, FERRETDB_POSTGRESQL_URL: pg.url },
  });
  const exited = exitOf(child);
  void exited.then(() => pg.stop());
  void pg.exited.then(() => child.kill("SIGTERM"));
  const uri = await firstJsonLine(child, "uri");
  log.info("embedded FerretDB on PostgreSQL started", { uri, dataDir, pid: child.pid });
  const stop = async () => {
    await stopChild(child);
    await pg.stop();
  };
  return { uri, kind: "ferretdb-postgresql", pid: child.pid, exited, indexIdLookups: () => Promise.resolve(0), stop };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => resolve(null));
  });
}

/**
 * Adds to every collection of `database`, in the FerretDB files under `dataDir`, the SQLite index
 * that serves FerretDB's exact-`_id` filter (tools/ferretdb/index_ids.go says why it lacks one):
 * every find, update and delete by `_id` becomes an index lookup instead of a scan of the whole
 * collection. Collections created afterwards do not get it, so run it after the store created
 * its collections (Store.open). Idempotent: returns how many indexes it created.
 */
export async function indexIdLookups(root: string, dataDir: string, database: string): Promise<number> {
  const child = spawn(ferretdbBinary(root), ["index-ids", "-data", dataDir, "-db", database], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) throw new DatabaseUnavailableError(`indexing _id lookups of ${database} failed (${code}): ${stderr.trim()}`);
  return (JSON.parse(stdout) as { created: number }).created;
}

/** Builds tools/ferretdb into .cache/bin unless that build of its sources is there already. */
export function ensureFerretdb(root: string, log: Logger): string {
  const bin = ferretdbBinary(root);
  const src = join(root, "tools", "ferretdb");
  const hash = createHash("sha256");
  const files = readdirSync(src).filter((f) => f.endsWith(".go") || f === "go.mod" || f === "go.sum").sort();
  for (const f of files) hash.update(f).update(readFileSync(join(src, f)));
  const stamp = `${bin}.sha256`;
  const want = hash.digest("hex");
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, "utf8") === want) return bin;
  if (!onPath("go")) {
    throw new DatabaseUnavailableError(
      "No database: set MONGODB_URI to a MongoDB server (mongodb://host:27017), put `mongod` on PATH, " +
        "or install Go 1.24+ (https://go.dev/dl, or `apt-get install golang`) so the embedded FerretDB can be built.",
    );
  }
  log.info("building the embedded FerretDB v1.24.2 (first run, or after tools/ferretdb changed; takes a few minutes)");
  const r = spawnSync("go", ["install", "."], {
    cwd: src,
    env: { ...process.env, GOBIN: join(root, ".cache", "bin"), GOFLAGS: "-mod=mod" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0 || !existsSync(bin)) {
    throw new DatabaseUnavailableError(`building FerretDB failed (go install exited ${r.status}); see the output above`);
  }
  writeFileSync(stamp, want);
  return bin;
}

function startMongod(dataDir: string, log: Logger, given: number): Promise<EmbeddedDatabase> {
  const dbpath = join(dataDir, "..", "mongod");
  mkdirSync(dbpath, { recursive: true });
  const port = given || 20000 + Math.floor(Math.random() * 20000);
  const child = spawn("mongod", ["--dbpath", dbpath, "--bind_ip", "127.0.0.1", "--port", String(port)], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const uri = `mongodb://127.0.0.1:${port}/`;
  log.info("embedded mongod started", { uri });
  return Promise.resolve({ uri, kind: "mongod", pid: child.pid, exited: exitOf(child), indexIdLookups: () => Promise.resolve(0), stop: () => stopChild(child) });
}

function onPath(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function firstJsonLine(child: ChildProcess, key: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", (line) => {
      try {
        const v = (JSON.parse(line) as Record<string, unknown>)[key];
        if (typeof v === "string") return resolve(v);
      } catch {
        /* fall through */
      }
      reject(new DatabaseUnavailableError(`unexpected output from the database: ${line}`));
    });
    child.once("exit", (code) => reject(new DatabaseUnavailableError(`database exited (${code}): ${stderr}`)));
    child.once("error", reject);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
