import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_LIMITS, type ServerLimits } from "./server/limits.js";
import type { DiePoint } from "./storage/email-ingest.js";

/** Everything the service reads from its environment, validated once at startup. */
export interface Config {
  /** The one TCP port for gRPC, gRPC-Web, Connect and REST. */
  port: number;
  /** Interface to bind; loopback unless told otherwise. */
  host: string;
  /** A MongoDB server to use; undefined means the embedded FerretDB. */
  mongodbUri: string | undefined;
  /** Database name inside the server. */
  database: string;
  /** Project root: where `.cache/` (the built FerretDB) and `.data/` (its files) live. */
  root: string;
  /** Directory for the embedded database's files. */
  dataDir: string;
  /** Which embedded database to start without MONGODB_URI (undefined: `mongod` on PATH, else SQLite). */
  embeddedBackend: EmbeddedBackend | undefined;
  /** Minimum log level. */
  logLevel: "debug" | "info" | "warn" | "error";
  /** How long SIGTERM waits for in-flight requests before closing connections. */
  shutdownGraceMs: number;
  /**
   * How long an ingest journal entry or account lease outlives its writer's last renewal: after a
   * crash, the repair of what it was writing starts this long after its last sign of life.
   */
  leaseTtlMs: number;
  /**
   * How long counting may trail a batch's 200 (`COUNT_DELAY_MS`, default 500, at most 1000; 0:
   * counted before the answer). Batches answered within it are counted together, a derived document they share
   * written once; every read first waits for what was answered before it to be counted.
   */
  countDelayMs: number;
  /**
   * Test hook (`MISAR_TEST_DIE_AT=after-raw:3`): the process kills itself with SIGKILL the 3rd
   * time an ingest write reaches that step, so fault tests can crash a real process at an exact
   * point. Unset in any real deployment.
   */
  dieAt: { point: DiePoint; nth: number } | undefined;
  /** Connection, timeout, body and rate limits. */
  limits: ServerLimits;
}

/** `EMBEDDED_BACKEND`: FerretDB on SQLite files, or FerretDB on a private PostgreSQL cluster. */
export type EmbeddedBackend = "sqlite" | "postgres";
export const EMBEDDED_BACKENDS: readonly EmbeddedBackend[] = ["sqlite", "postgres"];

/** COUNT_DELAY_MS's default: a producer sending batch after batch has about ten counted together. */
export const DEFAULT_COUNT_DELAY_MS = 500;

export class ConfigError extends Error {}

/** Reads and validates the configuration; throws ConfigError naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv, root: string): Config {
  const port = intVar(env, "PORT", 8080, 0, 65535);
  const logLevel = env.LOG_LEVEL ?? "info";
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be debug, info, warn or error, not "${logLevel}"`);
  }
  const mongodbUri = env.MONGODB_URI?.trim() || undefined;
  if (mongodbUri && !/^mongodb(\+srv)?:\/\//.test(mongodbUri)) {
    throw new ConfigError("MONGODB_URI must start with mongodb:// or mongodb+srv://");
  }
  const database = env.MONGODB_DATABASE?.trim() || "misar_analytics";
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(database)) {
    throw new ConfigError("MONGODB_DATABASE must be 1-63 letters, digits, _ or -");
  }
  const backend = env.EMBEDDED_BACKEND?.trim() || undefined;
  if (backend !== undefined && !(EMBEDDED_BACKENDS as readonly string[]).includes(backend)) {
    throw new ConfigError(`EMBEDDED_BACKEND must be sqlite or postgres, not "${backend}"`);
  }
  const dataDir = env.DATA_DIR ? resolvePath(root, env.DATA_DIR) : join(root, ".data", "ferretdb");
  return {
    port,
    host: env.HOST?.trim() || "127.0.0.1",
    mongodbUri,
    database,
    root,
    dataDir,
    embeddedBackend: backend as EmbeddedBackend | undefined,
    logLevel: logLevel as Config["logLevel"],
    shutdownGraceMs: intVar(env, "SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    leaseTtlMs: intVar(env, "LEASE_TTL_MS", 5000, 200, 600_000),
    // At most 1 s: a read on another instance waits for this one's backlog up to 2 s (READ_WAIT_MS).
    countDelayMs: intVar(env, "COUNT_DELAY_MS", DEFAULT_COUNT_DELAY_MS, 0, 1000),
    dieAt: dieAt(env.MISAR_TEST_DIE_AT),
    limits: loadLimits(env),
  };
}

function loadLimits(env: NodeJS.ProcessEnv): ServerLimits {
  const d = DEFAULT_LIMITS;
  return {
    maxConnections: intVar(env, "MAX_CONNECTIONS", d.maxConnections, 1, 1_000_000),
    headersTimeoutMs: intVar(env, "HEADERS_TIMEOUT_MS", d.headersTimeoutMs, 100, 600_000),
    idleTimeoutMs: intVar(env, "IDLE_TIMEOUT_MS", d.idleTimeoutMs, 100, 3_600_000),
    maxConcurrentStreams: intVar(env, "H2_MAX_CONCURRENT_STREAMS", d.maxConcurrentStreams, 1, 10_000),
    body: {
      maxBytes: intVar(env, "MAX_BODY_BYTES", d.body.maxBytes, 1024, 64 * 1024 * 1024),
      minBytesPerSecond: intVar(env, "BODY_MIN_BYTES_PER_SEC", d.body.minBytesPerSecond, 0, 1024 * 1024 * 1024),
      rateWindowMs: intVar(env, "BODY_RATE_WINDOW_MS", d.body.rateWindowMs, 100, 600_000),
    },
    decode: d.decode,
    rate: {
      perKey: {
        requests: intVar(env, "RATE_LIMIT_PER_KEY", d.rate.perKey.requests, 0, 10_000_000),
        seconds: intVar(env, "RATE_LIMIT_PER_KEY_WINDOW_S", d.rate.perKey.seconds, 1, 86_400),
      },
      perAddress: {
        requests: intVar(env, "RATE_LIMIT_PER_ADDRESS", d.rate.perAddress.requests, 0, 10_000_000),
        seconds: intVar(env, "RATE_LIMIT_PER_ADDRESS_WINDOW_S", d.rate.perAddress.seconds, 1, 86_400),
      },
    },
  };
}

function dieAt(raw: string | undefined): Config["dieAt"] {
  if (!raw) return undefined;
  const m = /^(after-journal|after-raw|after-marks|after-rollups|after-campaign):([1-9]\d*)$/.exec(raw);
  if (!m) throw new ConfigError(`MISAR_TEST_DIE_AT must be <after-journal|after-raw|after-marks|after-rollups|after-campaign>:<n>, not "${raw}"`);
  return { point: m[1] as NonNullable<Config["dieAt"]>["point"], nth: Number(m[2]) };
}

function intVar(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  }
  return n;
}

function resolvePath(root: string, p: string): string {
  return isAbsolute(p) ? p : resolve(root, p);
}

/** The nearest directory above a module that holds package.json (works from src/ and dist/). */
export function projectRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new ConfigError("cannot find the project root (package.json)");
    dir = up;
  }
  return dir;
}
