// Builds the dashboard (web/) with esbuild into dist/web: one JavaScript bundle and one stylesheet,
// each named by a hash of its content (so the server can cache them for a year), and index.html,
// written here with those names. `npm run build` runs it after tsc; the browser tests call
// buildWeb() themselves. The page loads nothing but these files: no inline script, no other origin.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Builds web/ into outDir (default dist/web); returns the asset file names it wrote. */
export async function buildWeb(outDir = join(root, "dist", "web")) {
  const assets = join(outDir, "assets");
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(assets, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: "web/src/main.ts" },
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    sourcemap: false,
    legalComments: "none",
    outdir: assets,
    entryNames: "[name]-[hash]",
    metafile: true,
    logLevel: "warning",
    plugins: [stubValidateRules],
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const js = outputs.find((f) => f.endsWith(".js"));
  const css = outputs.find((f) => f.endsWith(".css"));
  if (!js || !css) throw new Error(`build-web: expected one .js and one .css, got ${outputs.join(", ")}`);
  const icon = hashedCopy(join(root, "web", "favicon.svg"), assets);
  const html = readFileSync(join(root, "web", "index.html"), "utf8")
    .replaceAll("%APP_JS%", `/assets/${js}`)
    .replaceAll("%APP_CSS%", `/assets/${css}`)
    .replaceAll("%ICON%", `/assets/${icon}`);
  writeFileSync(join(outDir, "index.html"), html);
  return { js, css, icon };
}

/** The contract's validation rules stay out of the bundle (see web/src/stubs/buf-validate.ts). */
const stubValidateRules = {
  name: "stub-buf-validate",
  setup(b) {
    b.onResolve({ filter: /\/buf\/validate\/validate_pb\.js$/ }, () => ({ path: join(root, "web", "src", "stubs", "buf-validate.ts") }));
  },
};

function hashedCopy(file, dir) {
  const body = readFileSync(file);
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 8).toUpperCase();
  const name = basename(file).replace(/(\.[^.]+)$/, `-${hash}$1`);
  writeFileSync(join(dir, name), body);
  return name;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildWeb();
  console.error(`[build-web] dist/web: ${out.js}, ${out.css}`);
}
