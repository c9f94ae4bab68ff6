// Fails when package-lock.json lacks a package that a locked package names as optional (a
// platform build such as @bufbuild/buf-darwin-arm64): `npm ci` then refuses the lock ("Missing:
// ... from lock file") on every platform. Such entries go missing when the lock is written
// through a registry mirror that lacks other platforms' packages.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { packages } = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));

/** Where Node would find `dep` from the package at `path`: its own node_modules, then each parent's. */
function resolves(path, dep) {
  for (let p = path; ; ) {
    if (packages[`${p ? `${p}/` : ""}node_modules/${dep}`]) return true;
    if (!p) return false;
    const i = p.lastIndexOf("/node_modules/");
    p = i < 0 ? "" : p.slice(0, i);
  }
}

const missing = [];
for (const [path, pkg] of Object.entries(packages)) {
  for (const dep of Object.keys(pkg.optionalDependencies ?? {})) if (!resolves(path, dep)) missing.push(`${dep} (optional dependency of ${path || "the project"})`);
}
if (missing.length) {
  console.error(`package-lock.json lacks ${missing.length} optional package(s), so npm ci would fail:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log(`package-lock.json: every optional platform package is locked (${Object.keys(packages).length} entries)`);
