// `npm run db -- --backend sqlite|postgres`: the embedded database alone, in the foreground, for
// service processes started separately (MONGODB_URI=...). Prints one line
// `MONGODB_URI=mongodb://127.0.0.1:PORT/` on stdout once it answers; logs go to stderr. Stops on
// SIGINT/SIGTERM (and the database with it). Supervised as under `npm start`: a database process
// that dies is started again on the same data and port, so the services' URI stays valid.
import { parseArgs } from "node:util";
import { MongoClient } from "mongodb";
import { ConfigError, EMBEDDED_BACKENDS, loadConfig, projectRoot, type EmbeddedBackend } from "../config.js";
import { DatabaseUnavailableError, startEmbeddedDatabase } from "../db/embedded.js";
import { DatabaseSupervisor } from "../db/supervisor.js";
import { createLogger } from "../log.js";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { backend: { type: "string" } } });
  const config = loadConfig(process.env, projectRoot(import.meta.url));
  const backend = values.backend ?? config.embeddedBackend ?? "sqlite";
  if (!(EMBEDDED_BACKENDS as readonly string[]).includes(backend)) throw new ConfigError(`--backend must be sqlite or postgres, not "${backend}"`);
  const log = createLogger(config.logLevel);
  const db = await DatabaseSupervisor.start(
    (port) => startEmbeddedDatabase(config.root, config.dataDir, log, { backend: backend as EmbeddedBackend, port }),
    { down: () => undefined, up: () => Promise.resolve() },
    log,
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await db.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());

  // "Accepts connections": a real round trip, not just a listening socket.
  const client = new MongoClient(db.uri, { serverSelectionTimeoutMS: 30_000 });
  await client.db("admin").command({ ping: 1 });
  await client.close();
  process.stdout.write(`MONGODB_URI=${db.uri}\n`);
  if (db.current.kind === "ferretdb-sqlite") {
    log.warn("SQLite has one writer: serve one service process from it (several need --backend postgres)");
  }
}

main().catch((err: unknown) => {
  const known = err instanceof ConfigError || err instanceof DatabaseUnavailableError;
  process.stderr.write(`misar-analytics db: ${known ? (err as Error).message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
