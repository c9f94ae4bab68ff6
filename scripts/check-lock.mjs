// Fails when package-lock.json lacks a package that a locked package names as optional (a
// platform build such as @bufbuild/buf-darwin-arm64): `npm ci` then refuses the lock ("Missing:
// ... from lock file") on every platform. Also fails when a locked package has no integrity hash
// (npm would install whatever the registry serves that day). Both happen when the lock is written
// through a registry mirror that lacks other platforms' packages of that version.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The problems of one lock file: optional packages missing, packages with no integrity hash. */
function problems(packages) {
  /** Where Node would find `dep` from the package at `path`: its own node_modules, then each parent's. */
  const resolves = (path, dep) => {
    for (let p = path; ; ) {
      if (packages[`${p ? `${p}/` : ""}node_modules/${dep}`]) return true;
      if (!p) return false;
      const i = p.lastIndexOf("/node_modules/");
      p = i < 0 ? "" : p.slice(0, i);
    }
  };
  const missing = [];
  for (const [path, pkg] of Object.entries(packages)) {
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) if (!resolves(path, dep)) missing.push(`${dep} (optional dependency of ${path || "the project"})`);
  }
  for (const [path, pkg] of Object.entries(packages)) {
    if (path && !pkg.link && !pkg.integrity) missing.push(`${path} ${pkg.version} (locked with no integrity hash)`);
  }
  return missing;
}

// The project's lock, and CI's lock of the Node.js 22/24 binaries it also tests on.
let failed = false;
for (const file of ["package-lock.json", ".ci/node-runtimes/package-lock.json"]) {
  const { packages } = JSON.parse(readFileSync(join(root, file), "utf8"));
  const missing = problems(packages);
  if (missing.length) {
    console.error(`${file} has ${missing.length} problem(s): npm ci would fail, or install unverified packages:\n  ${missing.join("\n  ")}`);
    failed = true;
  } else console.log(`${file}: every optional platform package is locked, each with its integrity hash (${Object.keys(packages).length} entries)`);
}
if (failed) process.exit(1);
