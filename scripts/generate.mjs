// Regenerates gen/ from proto/ with buf and local plugins only (nothing comes from a remote plugin
// registry). Installs the plugins it needs when they are missing:
//   - protoc-gen-es, protoc-gen-ts_proto: npm devDependencies (node_modules/.bin);
//   - protoc-gen-go, protoc-gen-go-grpc: `go install` into .cache/bin (versions pinned below);
//   - protoc (Python messages) and grpc_python_plugin: Debian's protobuf-compiler and
//     protobuf-compiler-grpc, apt-installed only when missing.
// After buf it writes the files of gen/ that no plugin makes (gen/go/go.mod + go.sum via
// `go mod tidy`, gen/python/requirements.txt + pyproject.toml) and gen/openapi/openapi.json.
// Everything it writes is deterministic, so scripts/check-generated.sh can diff gen/ against git.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { aptInstall } from "./apt.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cacheBin = join(root, ".cache", "bin");
const nodeBin = join(root, "node_modules", ".bin");
const env = { ...process.env, PATH: `${cacheBin}:${nodeBin}:${process.env.PATH}` };

// ---- pinned versions ---------------------------------------------------------------------------
// Go code generators (go install) and the Go runtime modules that gen/go requires.
const GO_PLUGINS = [
  { bin: "protoc-gen-go", pkg: "google.golang.org/protobuf/cmd/protoc-gen-go", version: "v1.36.12" },
  { bin: "protoc-gen-go-grpc", pkg: "google.golang.org/grpc/cmd/protoc-gen-go-grpc", version: "v1.6.2" },
];
const GO_MODULE = "github.com/misar/analytics/gen/go";
const GO_DIRECTIVE = "1.26.0"; // what google.golang.org/grpc v1.85.0 needs; tidy would raise it anyway
const GO_REQUIRES = {
  // buf/validate/validate.proto's Go package (go_package), as buf.build/go/protovalidate v1.4.0 requires it.
  "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go": "v1.36.12-20260825204119-511051f7f437.1",
  "google.golang.org/genproto/googleapis/api": "v0.0.0-20261110000943-09e21b237f2c",
  "google.golang.org/grpc": "v1.85.0",
  "google.golang.org/protobuf": "v1.36.12",
};
// Python: buf runs Debian's protoc (bookworm: 3.21.12, Python gencode 4.21.12) and
// grpc_python_plugin (1.51.1). The runtime pins below accept that gencode: protobuf 5.29 runs
// gencode of the previous major (4.x) and the grpc stubs have no version gate.
// googleapis-common-protos 1.72.0 (gencode 4.25.3, protobuf <7) provides google.api / google.rpc.
const APT_PACKAGES = [
  { bin: "/usr/bin/protoc", pkg: "protobuf-compiler" },
  { bin: "/usr/bin/grpc_python_plugin", pkg: "protobuf-compiler-grpc" },
];
const EXPECTED_PROTOC = "libprotoc 3.21.12";
const PY_REQUIREMENTS = {
  protobuf: "5.29.6",
  grpcio: "1.85.1",
  "googleapis-common-protos": "1.72.0",
  // Runs the contract's buf.validate rules in Python clients; 1.x works with google.protobuf
  // messages (2.x moved to another runtime) and imports buf.validate.validate_pb2, which
  // gen/python carries.
  protovalidate: "1.2.0",
};
const PY_PACKAGE_VERSION = "0.1.0";

function log(msg) {
  console.error(`[generate] ${msg}`);
}

function run(cmd, args, opts = {}) {
  execFileSync(cmd, args, { cwd: root, env, stdio: "inherit", ...opts });
}

function output(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: "utf8", ...opts });
  return r.status === 0 ? `${r.stdout}${r.stderr}`.trim() : null;
}

// ---- plugins -----------------------------------------------------------------------------------
function ensureGoPlugins() {
  for (const p of GO_PLUGINS) {
    const path = join(cacheBin, p.bin);
    const have = existsSync(path) ? output(path, ["--version"]) : null;
    // `protoc-gen-go v1.36.12`, `protoc-gen-go-grpc 1.6.2`
    if (have && have.endsWith(p.version.replace(/^v/, ""))) continue;
    log(`installing ${p.pkg}@${p.version} into .cache/bin (go install)${have ? `, replacing ${have}` : ""}`);
    mkdirSync(cacheBin, { recursive: true });
    run("go", ["install", `${p.pkg}@${p.version}`], { env: { ...env, GOBIN: cacheBin, GOFLAGS: "-mod=mod" } });
  }
}

function ensureAptPackages() {
  const missing = APT_PACKAGES.filter((p) => !existsSync(p.bin)).map((p) => p.pkg);
  if (missing.length > 0) aptInstall(missing, log);
  const protoc = output("/usr/bin/protoc", ["--version"]);
  if (protoc !== EXPECTED_PROTOC) {
    log(`warning: /usr/bin/protoc is "${protoc}", gen/python was made with "${EXPECTED_PROTOC}"; expect differences`);
  }
}

// ---- files of gen/ that no plugin writes -------------------------------------------------------
function writeGoModule() {
  const dir = join(root, "gen", "go");
  const requires = Object.entries(GO_REQUIRES).map(([m, v]) => `\t${m} ${v}`).join("\n");
  writeFileSync(join(dir, "go.mod"), `module ${GO_MODULE}\n\ngo ${GO_DIRECTIVE}\n\nrequire (\n${requires}\n)\n`);
  writeFileSync(join(dir, "go.sum"), "");
  // Adds the indirect requirements and go.sum; deterministic for the pinned versions (MVS).
  run("go", ["mod", "tidy"], { cwd: dir, env: { ...env, GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" } });
  run("go", ["build", "./..."], { cwd: dir, env: { ...env, GOFLAGS: "-mod=readonly", GOTOOLCHAIN: "local" } });
}

function writePythonPackage() {
  const dir = join(root, "gen", "python");
  const pins = Object.entries(PY_REQUIREMENTS).map(([n, v]) => `${n}==${v}`);
  writeFileSync(
    join(dir, "requirements.txt"),
    "# Runtime for the generated misar.analytics.v1 package (written by scripts/generate.mjs).\n" +
      "# The *_pb2.py files were made by protoc 3.21.12 (Python gencode 4.21.12); protobuf 5.29\n" +
      "# runs gencode of the previous major version.\n" +
      pins.join("\n") +
      "\n",
  );
  // `pip install ./gen/python` builds in place; keep its leftovers out of git.
  writeFileSync(join(dir, ".gitignore"), "build/\n*.egg-info/\n");
  writeFileSync(
    join(dir, "pyproject.toml"),
    `# Written by scripts/generate.mjs: \`pip install ./gen/python\` installs the generated
# misar.analytics.v1 messages and gRPC stubs with their pinned runtime.
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "misar-analytics-proto"
version = "${PY_PACKAGE_VERSION}"
description = "Generated Protobuf messages and gRPC stubs for misar.analytics.v1"
requires-python = ">=3.9"
dependencies = [
${pins.map((p) => `  "${p}",`).join("\n")}
]

[tool.setuptools.packages.find]
where = ["."]
include = ["misar*"]
namespaces = true

[tool.setuptools.package-data]
"*" = ["*.pyi"]
`,
  );
}

// ---- main --------------------------------------------------------------------------------------
run(process.execPath, [join(root, "scripts", "fetch-protos.mjs")]);
ensureGoPlugins();
ensureAptPackages();
log("buf generate");
run("buf", ["generate"]);
// Python has no package of buf/validate/validate.proto's generated code that fits our protobuf
// runtime (the PyPI protovalidate imports `buf.validate.validate_pb2` and ships none), so it is
// generated into gen/python beside our stubs, by the same protoc. Not in buf.gen.yaml: there,
// only an input or include_imports would generate it, and both would also generate it for Go
// (which takes it from its own module) and, with include_imports, google.api for Python.
log("buf generate: buf/validate for Python");
const pythonImports = {
  version: "v2",
  inputs: [{ directory: ".", paths: ["third_party/buf"] }],
  plugins: ["python", "pyi"].map((p) => ({ protoc_builtin: p, protoc_path: "/usr/bin/protoc", out: "gen/python" })),
};
run("buf", ["generate", "--template", JSON.stringify(pythonImports)]);
log("gen/go: go.mod, go.sum (go mod tidy), go build");
writeGoModule();
log("gen/python: requirements.txt, pyproject.toml, .gitignore");
writePythonPackage();
log("gen/openapi/openapi.json");
run(process.execPath, [join(root, "scripts", "openapi.mjs")]);
