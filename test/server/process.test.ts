// The real entry point as a process: it starts on MONGODB_URI, logs JSON without secrets, and on
// SIGTERM lets in-flight requests finish before it exits.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, expect, test } from "vitest";
import { inject } from "vitest";
import { Store } from "../../src/storage/store.js";

const database = `t_proc_${randomBytes(4).toString("hex")}`;
let proc: ChildProcess;
let port = 0;
let stderr = "";
let key = "";
let store: Store;

beforeAll(async () => {
  store = await Store.open(inject("mongoUri"), database);
  key = (await store.keys.create("acct_proc", ["ingest", "analytics"], new Date())).key;
  // node itself (not npx) so that SIGTERM reaches the service and its exit code reaches us.
  proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { ...process.env, MONGODB_URI: inject("mongoUri"), MONGODB_DATABASE: database, PORT: "0", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: proc.stderr! });
    lines.on("line", (line) => {
      stderr += line + "\n";
      try {
        const rec = JSON.parse(line) as { msg?: string; port?: number };
        if (rec.msg === "listening" && rec.port) resolve(rec.port);
      } catch {
        /* not JSON */
      }
    });
    proc.once("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
}, 120_000);

afterAll(async () => {
  if (proc.exitCode === null) proc.kill("SIGKILL");
  await store.db.dropDatabase();
  await store.close();
});

test("SIGTERM drains an in-flight batch, then the process exits 0; logs are JSON without keys or emails", async () => {
  const events = Array.from({ length: 1000 }, (_, i) => ({
    id: `p${i}`,
    type: "send",
    contact_email: `person${i}@secret-domain.test`,
    timestamp: "2026-04-01T09:00:00Z",
    campaign_id: "camp_drain",
  }));
  const inFlight = fetch(`http://127.0.0.1:${port}/api/v1/ingest/email-events`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ events }),
  });
  await new Promise((r) => setTimeout(r, 30));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  proc.kill("SIGTERM");
  const res = await inFlight;
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ success: true, accepted: 1000, duplicates: 0 });
  expect(await exited).toBe(0);

  const records = stderr.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(records.some((r) => r.msg === "rpc" && r.rpc === "misar.analytics.v1.IngestService/RecordEmailEvents" && typeof r.rid === "string")).toBe(true);
  expect(records.at(-1)?.msg).toBe("stopped");
  expect(stderr).not.toContain(key);
  expect(stderr).not.toContain("secret-domain");
}, 60_000);
