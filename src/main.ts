import { ConfigError, loadConfig, projectRoot } from "./config.js";
import { DatabaseUnavailableError, startEmbeddedDatabase, type EmbeddedDatabase } from "./db/embedded.js";
import { DatabaseSupervisor } from "./db/supervisor.js";
import { clearRuntime, writeRuntime } from "./db/runtime.js";
import { createLogger } from "./log.js";
import { AnalyticsServer } from "./server/server.js";
import { migrate, NewerDataError } from "./storage/migrations/index.js";
import { RepairLoop } from "./storage/repair-loop.js";
import { Store } from "./storage/store.js";
import { SCOPES } from "./storage/api-keys.js";


async function main(): Promise<void> {
  const config = loadConfig(process.env, projectRoot(import.meta.url));
  const log = createLogger(config.logLevel);
  let embedded: DatabaseSupervisor<EmbeddedDatabase> | undefined;
  let store: Store | undefined;
  if (!config.mongodbUri) {
    // Supervised: if the database process dies, calls fail fast until it is back on the same data.
    embedded = await DatabaseSupervisor.start(
      (port) => startEmbeddedDatabase(config.root, config.dataDir, log, { backend: config.embeddedBackend, port }),
      {
        down: (reason) => store?.availability.markDown(reason),
        up: async () => void (await store?.waitReachable()),
      },
      log,
    );
  }
  const uri = config.mongodbUri ?? embedded!.uri;
  store = await Store.open(uri, config.database, { leaseTtlMs: config.leaseTtlMs, countDelayMs: config.countDelayMs, dieAt: config.dieAt });
  log.info("database connected", { ...store.caps });
  if (embedded) {
    await embedded.current.indexIdLookups(config.database);
    writeRuntime(config.dataDir, uri);
  }
  const migrated = await migrate(store).catch(async (err: unknown) => {
    // Refused (a newer build's data) or failed: the embedded database is ours to stop.
    await store?.close().catch(() => undefined);
    if (embedded) {
      clearRuntime(config.dataDir);
      await embedded.stop().catch(() => undefined);
    }
    throw err;
  });
  if (migrated.steps.length || migrated.rebuild.length) {
    log.warn("derived data predates this version: migrating", { from: migrated.from ?? "unknown", steps: migrated.steps, rebuild: migrated.rebuild.length });
  }
  // Serving starts now; what earlier processes left unfinished is repaired meanwhile, account by
  // account under its lease (reads of an account being rebuilt answer `unavailable`).
  const repairs = new RepairLoop(store.ingest, Math.min(1000, Math.floor(config.leaseTtlMs / 2)), log);
  const server = await AnalyticsServer.create({ store, log, host: config.host, port: config.port, root: config.root, limits: config.limits });
  repairs.start();
  if (embedded && (await store.keys.count()) === 0) {
    const { key } = await store.keys.create("acct_local", [...SCOPES], new Date());
    // Printed once, on the first start of a fresh embedded database, so a newcomer can try it.
    process.stdout.write(
      `\nCreated a local API key for account acct_local (all scopes). It is shown only this once:\n\n  ${key}\n\n` +
        `Try it:\n  curl -s -H "Authorization: Bearer ${key}" "http://${config.host}:${server.port}/api/v1/analytics/overview?period=30d"\n\n`,
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    await server.close(config.shutdownGraceMs);
    // What was cut short stays journaled; giving up its entries now lets the next start (or any
    // instance) repair it at once.
    const ingestClosed = store.ingest.close(1000);
    await repairs.stop();
    await ingestClosed;
    await store.close();
    if (embedded) {
      clearRuntime(config.dataDir);
      await embedded.stop();
    }
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DatabaseUnavailableError || err instanceof NewerDataError) {
    process.stderr.write(`misar-analytics: ${err.message}\n`);
  } else {
    process.stderr.write(`misar-analytics: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
