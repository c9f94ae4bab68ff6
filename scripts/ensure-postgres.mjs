// Makes sure PostgreSQL's server programs are on this machine, installing Debian's `postgresql`
// package when they are missing: the PostgreSQL backend's tests (CI's second part, and the
// several-instances suite in npm test) need them. Which directory the service then uses is
// src/db/postgres.ts's `findPostgresBin`; this only checks that there is one.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { aptInstall } from "./apt.mjs";

const ROOT = "/usr/lib/postgresql";

function present() {
  const onPath = (process.env.PATH ?? "").split(":").some((d) => d && existsSync(join(d, "pg_ctl")));
  const debian = existsSync(ROOT) && readdirSync(ROOT).some((v) => existsSync(join(ROOT, v, "bin", "initdb")));
  return onPath || debian;
}

/** Installs `postgresql` when no server programs are found. */
export function ensurePostgres() {
  if (present()) return;
  aptInstall(["postgresql"], (msg) => console.error(`[ensure-postgres] ${msg}`));
  if (!present()) throw new Error(`apt-get installed postgresql but no initdb under ${ROOT}/*/bin`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensurePostgres();
