// The real entry point as a process: it starts on MONGODB_URI, logs JSON without secrets, and on
// SIGTERM lets in-flight requests finish before it exits.
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { inject } from "vitest";
import { Store } from "../../src/storage/store.js";
import { startServiceProcess, type ServiceProcess } from "../helpers/process.js";

const database = `t_proc_${randomBytes(4).toString("hex")}`;
let svc: ServiceProcess;
let key = "";
let store: Store;

beforeAll(async () => {
  store = await Store.open(inject("mongoUri"), database);
  key = (await store.keys.create("acct_proc", ["ingest", "analytics"], new Date())).key;
  svc = await startServiceProcess({ MONGODB_URI: inject("mongoUri"), MONGODB_DATABASE: database });
}, 120_000);

afterAll(async () => {
  await svc.kill9();
  await store.db.dropDatabase();
  await store.close();
});

test("a client still sending a refused body reads its 401 and the end of the stream, not a reset", async () => {
  // Closing at once with the body unread sends a reset, which can reach a client still writing
  // before it has read its answer (fetch then reports the reset, not the 401). The service stops
  // reading, ends the stream after the answer, and closes a little later. (Closing at once, 9 of
  // 10 such requests got the reset from a process; not from a service in the client's own
  // process, which is why this is here.)
  const head = `POST /api/v1/ingest/email-events HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${1024 * 1024}\r\n\r\n`;
  const request = Buffer.concat([Buffer.from(head), Buffer.alloc(1024 * 1024, 0x31)]);
  for (let i = 0; i < 3; i++) {
    const outcome = await new Promise<{ status: string; ended: boolean; error?: string; seconds: number }>((resolve) => {
      const started = performance.now();
      let got = "";
      let ended = false;
      let error: string | undefined;
      // All of it in one write: more than the service reads before it answers is on its way.
      const s = connect(svc.port, "127.0.0.1", () => s.write(request));
      s.on("data", (d: Buffer) => (got += d.toString("latin1")));
      s.on("end", () => (ended = true));
      s.on("error", (err: NodeJS.ErrnoException) => (error ??= err.code));
      s.on("close", () => resolve({ status: got.split("\r\n")[0]!, ended, error, seconds: (performance.now() - started) / 1000 }));
    });
    expect(outcome.status).toBe("HTTP/1.1 401 Unauthorized");
    expect(outcome).toMatchObject({ ended: true, error: undefined });
    // Closed soon after, by the service or by the client once it had read the end.
    expect(outcome.seconds).toBeLessThan(5);
  }
});

test("SIGTERM drains an in-flight batch, then the process exits 0; logs are JSON without keys or emails", async () => {
  const events = Array.from({ length: 1000 }, (_, i) => ({
    id: `p${i}`,
    type: "send",
    contact_email: `person${i}@secret-domain.test`,
    timestamp: "2026-04-01T09:00:00Z",
    campaign_id: "camp_drain",
  }));
  // The request is in flight when SIGTERM comes: its headers and half its body sent a second
  // before (time for the server to take the connection, even on a loaded machine), the rest after.
  const body = Buffer.from(JSON.stringify({ events }));
  const req = request(`${svc.url}/api/v1/ingest/email-events`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-length": body.length },
  });
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
  });
  req.write(body.subarray(0, body.length >> 1));
  await new Promise((r) => setTimeout(r, 1000));
  svc.proc.kill("SIGTERM");
  await svc.waitFor((r) => r.msg === "shutting down");
  req.end(body.subarray(body.length >> 1));
  const res = await answered;
  expect(res.status).toBe(200);
  expect(JSON.parse(res.body)).toEqual({ success: true, accepted: 1000, duplicates: 0 });
  expect(await svc.exited).toBe(0);

  const stderr = svc.stderr();
  const records = stderr.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(records.some((r) => r.msg === "rpc" && r.rpc === "misar.analytics.v1.IngestService/RecordEmailEvents" && typeof r.rid === "string")).toBe(true);
  expect(records.at(-1)?.msg).toBe("stopped");
  expect(stderr).not.toContain(key);
  expect(stderr).not.toContain("secret-domain");
}, 60_000);
