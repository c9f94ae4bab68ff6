// Finds Debian's Chromium for the browser tests (test/dashboard) and the dashboard benchmark,
// installing the `chromium` package when it is missing. playwright-core drives this browser; it
// never downloads one of its own.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { aptInstall } from "./apt.mjs";

// The binary itself first: Debian's /usr/bin/chromium is a shell wrapper around it.
const CANDIDATES = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"];

/** The Chromium executable's path (CHROMIUM_PATH when set), installed first when missing. */
export function ensureChromium() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  aptInstall(["chromium"], (msg) => console.error(`[ensure-chromium] ${msg}`));
  const installed = CANDIDATES.find((p) => existsSync(p));
  if (!installed) throw new Error(`apt-get installed chromium but none of ${CANDIDATES.join(", ")} exists`);
  return installed;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(ensureChromium());
