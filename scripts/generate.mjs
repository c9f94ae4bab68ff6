// Regenerates gen/ from proto/ with buf and local plugins only.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };

execFileSync("buf", ["generate"], { cwd: root, env, stdio: "inherit" });
