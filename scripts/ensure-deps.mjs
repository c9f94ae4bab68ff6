// Installs the npm dependencies when they are missing or older than package-lock.json, so that
// `npm start` and `npm test` work on a fresh clone. Uses only Node's standard library.
import { execSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const lock = join(root, "package-lock.json");
const marker = join(root, "node_modules", ".package-lock.json");

const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  // `npm install`, not `npm ci`: with this machine's npm settings (omit-lockfile-registry-resolved)
  // the lock file lacks other platforms' optional packages (@bufbuild/buf-darwin-*, ...), which
  // `npm ci` rejects as out of sync. `npm install` installs the locked versions all the same.
  console.error("[ensure-deps] installing npm dependencies (npm install)...");
  execSync("npm install --no-audit --no-fund", { cwd: root, stdio: "inherit" });
}
