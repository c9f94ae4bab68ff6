// Fails when package-lock.json lacks a package that a locked package names as optional (a
// platform build such as @bufbuild/buf-darwin-arm64): `npm ci` then refuses the lock ("Missing:
// ... from lock file") on every platform. Also fails when a locked package has no integrity hash
// (npm would install whatever the registry serves that day). Both happen when the lock is written
// through a registry mirror that lacks other platforms' packages of that version.
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
for (const [path, pkg] of Object.entries(packages)) {
  if (path && !pkg.link && !pkg.integrity) missing.push(`${path} ${pkg.version} (locked with no integrity hash)`);
}
if (missing.length) {
  console.error(`package-lock.json has ${missing.length} problem(s): npm ci would fail, or install unverified packages:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log(`package-lock.json: every optional platform package is locked, each with its integrity hash (${Object.keys(packages).length} entries)`);
