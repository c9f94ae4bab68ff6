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
  // `npm ci`: exactly the locked versions, from a clean node_modules. The lock carries every
  // platform's optional packages (@bufbuild/buf-darwin-arm64, ...), which `npm ci` requires even
  // where it installs only this platform's; a registry mirror that lacks other platforms'
  // packages makes `npm install` drop them from the lock, so add such entries back, never prune them.
  console.error("[ensure-deps] installing the locked npm dependencies (npm ci)...");
  execSync("npm ci --no-audit --no-fund", { cwd: root, stdio: "inherit" });
}
