// Fetches the imported protos that no npm package ships, with their registry's ordinary client,
// into .cache/protos/, where third_party/ symlinks point (as its other entries point into
// node_modules). Today that is buf/validate/validate.proto (protovalidate's rules), which only the
// Maven Central jar build.buf:protovalidate carries: `mvn dependency:unpack` fetches that pinned
// version (into the usual Maven repository, ~/.m2) and extracts the one file. Idempotent: a file
// already there with the pinned SHA-256 is kept. `npm run generate`, `npm run lint`,
// scripts/buf-breaking.sh and .ci/run call it; Debian's `maven` is installed when `mvn` is missing.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { aptInstall } from "./apt.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const IMPORTS = [
  {
    artifact: "build.buf:protovalidate:1.3.0:jar",
    dir: join(root, ".cache", "protos", "protovalidate-1.3.0"),
    file: "buf/validate/validate.proto",
    sha256: "817951eab518442950f1982be24b2c3154b214b40e42f49b915cbf5181e6ee80",
  },
];
// The plugin that unpacks, pinned too (mvn would otherwise resolve whichever version is newest).
const UNPACK = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack";

const sha256 = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");
const mvnOnPath = () => (process.env.PATH ?? "").split(":").some((d) => d && existsSync(join(d, "mvn")));

for (const imp of IMPORTS) {
  const path = join(imp.dir, imp.file);
  if (existsSync(path) && sha256(path) === imp.sha256) continue;
  console.error(`[fetch-protos] ${imp.file} from ${imp.artifact} (mvn dependency:unpack)`);
  if (!mvnOnPath()) aptInstall(["maven"], (msg) => console.error(`[fetch-protos] ${msg}`));
  rmSync(imp.dir, { recursive: true, force: true });
  // Outside any project, the plugin writes its markers under a literal `${project.basedir}`: a
  // scratch working directory keeps them out of the repository.
  const scratch = mkdtempSync(join(tmpdir(), "fetch-protos-"));
  try {
    execFileSync(
      "mvn",
      ["-q", "-B", "-Dstyle.color=never", UNPACK, `-Dartifact=${imp.artifact}`, `-DoutputDirectory=${imp.dir}`, `-Dmdep.unpack.includes=${imp.file}`],
      { cwd: scratch, stdio: ["ignore", "inherit", "inherit"] },
    );
  } catch (err) {
    const missing = err && typeof err === "object" && "code" in err && err.code === "ENOENT";
    console.error(missing ? "[fetch-protos] mvn (Apache Maven) is not on PATH: install it (Debian: apt-get install maven)" : `[fetch-protos] mvn failed`);
    process.exit(1);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const got = existsSync(path) ? sha256(path) : "missing";
  if (got !== imp.sha256) {
    console.error(`[fetch-protos] ${imp.file} from ${imp.artifact}: sha256 ${got}, expected ${imp.sha256}`);
    process.exit(1);
  }
}
