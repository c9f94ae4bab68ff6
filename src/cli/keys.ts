import { parseArgs } from "node:util";
import { ConfigError, loadConfig, projectRoot } from "../config.js";
import { DatabaseUnavailableError, startEmbeddedDatabase, type EmbeddedDatabase } from "../db/embedded.js";
import { readRuntime } from "../db/runtime.js";
import { createLogger } from "../log.js";
import { SCOPES, type Scope } from "../storage/api-keys.js";
import { Store } from "../storage/store.js";

const USAGE = `Usage:
  npm run keys -- create --account ACCOUNT --scopes analytics,track,ingest
  npm run keys -- list [--account ACCOUNT]
  npm run keys -- revoke KEY_ID_OR_KEY

Uses MONGODB_URI when set; otherwise the embedded database (the running service's, if any).`;

const ACCOUNT = /^[A-Za-z0-9_-]{1,64}$/;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { account: { type: "string" }, scopes: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  const config = loadConfig(process.env, projectRoot(import.meta.url));
  const log = createLogger("warn");
  let embedded: EmbeddedDatabase | undefined;
  const uri = config.mongodbUri ?? readRuntime(config.dataDir) ?? (embedded = await startEmbeddedDatabase(config.root, config.dataDir, log, { backend: config.embeddedBackend })).uri;
  const store = await Store.open(uri, config.database);
  try {
    switch (command) {
      case "create": {
        const account = values.account ?? "";
        if (!ACCOUNT.test(account)) throw new UsageError("--account must be 1-64 letters, digits, _ or -");
        const scopes = (values.scopes ?? "").split(",").map((s) => s.trim()).filter(Boolean);
        const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
        if (scopes.length === 0 || bad.length) throw new UsageError(`--scopes must be a comma-separated list of ${SCOPES.join(", ")}`);
        const { key, info } = await store.keys.create(account, scopes as Scope[], new Date());
        console.error(`Created ${info.id} for ${account} with scopes ${info.scopes.join(",")}. The key is shown only this once:`);
        console.log(key);
        break;
      }
      case "list": {
        const keys = await store.keys.list(values.account);
        for (const k of keys) {
          const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : "active";
          console.log(`${k.id}\t${k.account}\t${k.scopes.join(",")}\t${k.hint}…\t${k.createdAt.toISOString()}\t${state}`);
        }
        if (keys.length === 0) console.error("no keys");
        break;
      }
      case "revoke": {
        const target = rest[0];
        if (!target) throw new UsageError("revoke needs a key id (key_…) or the key itself");
        if (!(await store.keys.revoke(target, new Date()))) throw new UsageError(`no active key ${target.startsWith("msk_") ? "with that text" : target}`);
        console.error("revoked");
        break;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    await store.close();
    await embedded?.stop();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) console.error(`${err.message}\n\n${USAGE}`);
  else if (err instanceof ConfigError || err instanceof DatabaseUnavailableError || err instanceof Error) console.error(`keys: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
