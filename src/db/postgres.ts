import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import type { Logger } from "../log.js";
import { DatabaseUnavailableError } from "./errors.js";

/**
 * A private PostgreSQL cluster for the embedded FerretDB's PostgreSQL backend: its files under
 * `DATA_DIR/postgresql`, listening on a loopback port only (no Unix socket), with a password of
 * its own, started and stopped by this process.
 */
export interface PostgresCluster {
  /** postgres://misar:...@127.0.0.1:PORT/postgres, for FerretDB's -postgresql-url. */
  url: string;
  /** Settles when the postgres server process exits. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** The cluster's superuser; FerretDB connects as it. */
const PG_USER = "misar";
/** The unprivileged account created to run PostgreSQL when the service runs as root and there is no `postgres` account. */
const CREATED_ACCOUNT = "misar-postgres";
/**
 * FerretDB's connection pool (its default, 50, is easily exhausted: src/storage/capabilities.ts
 * says how), and the server's limit above it (a few for maintenance).
 */
const FERRETDB_POOL = 200;
const MAX_CONNECTIONS = FERRETDB_POOL + 20;
/** PostgreSQL logs this once it accepts connections. */
const READY = /database system is ready to accept connections/;

/** The directory holding `initdb` and `postgres`: beside `pg_ctl` on PATH, else the newest /usr/lib/postgresql/N/bin. */
export function findPostgresBin(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":").filter(Boolean)) {
    const ctl = join(dir, "pg_ctl");
    if (!existsSync(ctl)) continue;
    const bin = dirname(realpathSync(ctl));
    if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "postgres"))) return bin;
  }
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = join(root, v, "bin");
    if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "postgres"))) return bin;
  }
  return undefined;
}

/**
 * Starts (initialising on first use) the cluster in `dir`. PostgreSQL refuses to run as root, so
 * as root it runs as the `postgres` account, or one created for it (`misar-postgres`), which then
 * owns `dir`. A server left running by a process that died (kill -9) is stopped first.
 */
export async function startPostgres(dir: string, log: Logger): Promise<PostgresCluster> {
  const bin = findPostgresBin();
  if (!bin) {
    throw new DatabaseUnavailableError(
      "EMBEDDED_BACKEND=postgres needs PostgreSQL's server programs (initdb, pg_ctl, postgres), found neither on PATH " +
        "nor under /usr/lib/postgresql/*/bin: install them (Debian/Ubuntu: `apt-get install postgresql`, macOS: " +
        "`brew install postgresql`), or use the default SQLite backend (unset EMBEDDED_BACKEND).",
    );
  }
  const owner = process.getuid?.() === 0 ? unprivilegedAccount() : undefined;
  const as = owner ? { uid: owner.uid, gid: owner.gid } : {};
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    if (spawnSync("test", ["-w", dir], { ...as }).status !== 0) {
      throw new DatabaseUnavailableError(
        `PostgreSQL runs as the unprivileged account ${owner.name}, which cannot reach ${dir} (a parent directory ` +
          `is closed to other users): set DATA_DIR to a directory it can reach.`,
      );
    }
  }
  const passwordFile = join(dir, "..", "postgresql.password");
  if (!existsSync(join(dir, "PG_VERSION"))) initdb(bin, dir, passwordFile, as, log);
  const password = readFileSync(passwordFile, "utf8").trim();
  stopLeftover(bin, dir, as, log);

  const port = await freePort();
  const child = spawn(
    join(bin, "postgres"),
    [
      ...["-D", dir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "logging_collector=off"],
      ...["-c", `max_connections=${MAX_CONNECTIONS}`],
    ],
    { ...as, stdio: ["ignore", "ignore", "pipe"] },
  );
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => resolve(null));
  });
  await ready(child, exited);
  log.info("embedded PostgreSQL started", { port, dir, bin, pid: child.pid });
  return {
    url: `postgres://${PG_USER}:${password}@127.0.0.1:${port}/postgres?pool_max_conns=${FERRETDB_POOL}`,
    exited,
    stop: () => stopServer(child, exited),
  };
}

interface Account {
  name: string;
  uid: number;
  gid: number;
}

/** `postgres` if the machine has that account (Debian's package creates it), else `misar-postgres`, created now. */
function unprivilegedAccount(): Account {
  for (const name of ["postgres", CREATED_ACCOUNT]) {
    const a = lookupAccount(name);
    if (a) return a;
  }
  const r = spawnSync("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", CREATED_ACCOUNT], {
    encoding: "utf8",
  });
  const a = lookupAccount(CREATED_ACCOUNT);
  if (!a) {
    throw new DatabaseUnavailableError(
      `PostgreSQL refuses to run as root and creating the account ${CREATED_ACCOUNT} failed (${r.stderr?.trim() || r.error?.message}): ` +
        "run the service as an ordinary user, or create an account named postgres.",
    );
  }
  return a;
}

function lookupAccount(name: string): Account | undefined {
  const uid = spawnSync("id", ["-u", name], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function initdb(bin: string, dir: string, passwordFile: string, as: { uid?: number; gid?: number }, log: Logger): void {
  log.info("initialising the embedded PostgreSQL cluster", { dir });
  writeFileSync(passwordFile, randomBytes(18).toString("hex") + "\n", { mode: 0o600 });
  if (as.uid !== undefined) chownSync(passwordFile, as.uid, as.gid!);
  const r = spawnSync(
    join(bin, "initdb"),
    ["-D", dir, "-U", PG_USER, "--pwfile", passwordFile, "--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-instructions"],
    { ...as, encoding: "utf8" },
  );
  if (r.status !== 0) throw new DatabaseUnavailableError(`initdb failed (${r.status}): ${(r.stderr || r.stdout || "").trim()}`);
}

/** A server still running on these files (its parent was killed) would refuse a second one: stop it. */
function stopLeftover(bin: string, dir: string, as: { uid?: number; gid?: number }, log: Logger): void {
  if (!existsSync(join(dir, "postmaster.pid"))) return;
  const status = spawnSync(join(bin, "pg_ctl"), ["status", "-D", dir], { ...as, stdio: "ignore" });
  if (status.status !== 0) return; // a stale pid file: postgres itself handles that
  log.warn("stopping a PostgreSQL left running on the embedded cluster", { dir });
  spawnSync(join(bin, "pg_ctl"), ["stop", "-D", dir, "-m", "fast", "-w"], { ...as, stdio: "ignore" });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function ready(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = "";
    child.stderr!.on("data", (d: Buffer) => {
      log = (log + d.toString()).slice(-8000);
      if (READY.test(log)) resolve();
    });
    void exited.then((code) => reject(new DatabaseUnavailableError(`PostgreSQL exited (${code}) while starting: ${log.trim()}`)));
  });
}

/** A fast shutdown (SIGINT: roll back open transactions, checkpoint, exit). */
async function stopServer(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  child.kill("SIGINT");
  await exited;
  clearTimeout(timer);
}
