// Installs Debian packages with apt-get (as root, else through sudo): how the project's scripts
// bring in the system packages they need (protoc for generate.mjs, Chromium for the browser tests).
import { execFileSync } from "node:child_process";

/** apt-get update, then installs the packages (without recommends); logs each command. */
export function aptInstall(packages, log) {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const apt = (args) => {
    const cmd = process.getuid?.() === 0 ? ["apt-get", ...args] : ["sudo", "apt-get", ...args];
    log(cmd.join(" "));
    execFileSync(cmd[0], cmd.slice(1), { env, stdio: ["ignore", "inherit", "inherit"] });
  };
  log(`installing missing Debian packages: ${packages.join(", ")}`);
  apt(["update", "-q"]);
  apt(["install", "-y", "-q", "--no-install-recommends", ...packages]);
}
