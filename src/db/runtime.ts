import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * While the service runs on the embedded database it records the database's address here, so
 * that the keys CLI talks to the same server (two FerretDB processes must not share SQLite files).
 */
export function runtimeFile(dataDir: string): string {
  return join(dataDir, "..", "runtime.json");
}

export function writeRuntime(dataDir: string, uri: string): void {
  writeFileSync(runtimeFile(dataDir), JSON.stringify({ uri, pid: process.pid }) + "\n");
}

export function clearRuntime(dataDir: string): void {
  rmSync(runtimeFile(dataDir), { force: true });
}

/** The embedded database's URI if the service that started it is still alive. */
export function readRuntime(dataDir: string): string | undefined {
  try {
    const { uri, pid } = JSON.parse(readFileSync(runtimeFile(dataDir), "utf8")) as { uri: string; pid: number };
    process.kill(pid, 0);
    return uri;
  } catch {
    return undefined;
  }
}
