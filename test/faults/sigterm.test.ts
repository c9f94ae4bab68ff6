// SIGTERM with a grace period shorter than the batches in flight: the process answers every one
// of them, 200 or 503 `unavailable` (never 500, never a dropped connection), and exits 0; the
// next start, at once, completes whatever the cut-short batches wrote, and after the client
// re-sends the unanswered batches every metric is exact.
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, expect, inject, test } from "vitest";
import { indexIdLookups } from "../../src/db/embedded.js";
import { Store } from "../../src/storage/store.js";
import { startServiceProcess, type ServiceProcess } from "../helpers/process.js";
import { HEAVY_TEST_MS } from "../helpers/heavy.js";
import { HOUR, chunk, mulberry32, pick, wire, type Ev } from "../read/lib.js";
import { converge, postEvents } from "./reference.js";

/** A batch sent with `Expect: 100-continue`: `reading` once the service asks for its body, `status` its answer's (or why there was none). */
function postHeld(url: string, key: string, batch: Ev[]): { reading: Promise<void>; status: Promise<number | string> } {
  const body = JSON.stringify({ events: batch.map(wire) });
  let reading!: () => void;
  const read = new Promise<void>((r) => (reading = r));
  const status = new Promise<number | string>((resolve) => {
    const req = httpRequest(`${url}/api/v1/ingest/email-events`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-length": Buffer.byteLength(body), expect: "100-continue" },
    });
    req.on("continue", () => {
      req.end(body);
      reading();
    });
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", (e) => resolve(`no answer: ${String(e)}`));
    });
    req.on("error", (e) => {
      reading(); // never asked for its body: the assertions below name it
      resolve(`no answer: ${String(e)}`);
    });
  });
  return { reading: read, status };
}

const database = `t_term_${randomBytes(4).toString("hex")}`;
let store: Store | undefined;
let proc: ServiceProcess | undefined;
afterAll(async () => {
  await proc?.kill9();
  await store?.db.dropDatabase().catch(() => undefined);
  await store?.close();
});

test("SIGTERM with a 300 ms grace and 12 batches of 1,000 in flight: 200 or 503 each, then exact after a restart and re-sends", async () => {
  store = await Store.open(inject("mongoUri"), database);
  if (inject("ferretdbDataDir")) await indexIdLookups(process.cwd(), inject("ferretdbDataDir"), database);
  const key = (await store.keys.create("acct_term", ["ingest", "analytics"], new Date())).key;
  const rng = mulberry32(99);
  const start = Date.parse("2026-03-01T00:00:00Z");
  const events: Ev[] = Array.from({ length: 12_000 }, (_, i) => ({
    id: `t${i}`,
    type: pick(rng, ["send", "delivered", "open", "click"] as const),
    contact_email: `c${i % 700}@term.example`,
    campaign_id: pick(rng, ["camp_t1", "camp_t2"]),
    ms: start + Math.floor(rng() * 48 * HOUR),
  }));
  const batches = chunk(events, 1000);
  const env = { MONGODB_URI: inject("mongoUri"), MONGODB_DATABASE: database, SHUTDOWN_GRACE_MS: "300" };
  proc = await startServiceProcess(env);

  // SIGTERM once the service is reading every batch's body (its `100 Continue`): a connection it
  // had not yet accepted when it stopped listening would be refused, which is not what this tests.
  const sent = batches.map((b) => postHeld(proc!.url, key, b));
  await Promise.all(sent.map((s) => s.reading));
  const answers = sent.map((s) => s.status);
  proc.proc.kill("SIGTERM");
  const statuses = await Promise.all(answers);
  expect(await proc.exited, proc.stderr().split("\n").filter((l) => !l.startsWith("{")).join("\n")).toBe(0);
  // Every batch was answered: done within the grace, or cut short and told to retry.
  expect(statuses.filter((s) => s !== 200 && s !== 503), JSON.stringify(statuses)).toEqual([]);
  expect(statuses).toContain(503);

  proc = await startServiceProcess(env);
  for (const [i, b] of batches.entries()) {
    if (statuses[i] === 200) continue;
    // 503 says "retry": the new process may still be rebuilding what the cut-short writes left.
    let r = await postEvents(proc.url, key, b);
    for (let tries = 0; r.status === 503 && tries < 60; tries++) {
      await new Promise((done) => setTimeout(done, 500));
      r = await postEvents(proc.url, key, b);
    }
    expect(r.status).toBe(200);
  }
  const ms = await converge(proc.url, key, events, ["camp_t1", "camp_t2"], 20_000);
  const rebuilt = proc.records.some((r) => r.msg === "rebuild finished" && r.account === "acct_term");
  console.log(`answers before SIGTERM's grace ended: ${JSON.stringify(statuses)}; cut-short writes rebuilt by the next start: ${rebuilt}; exact ${Math.round(ms)} ms after the re-sends`);
}, HEAVY_TEST_MS);

test("SIGTERM with nothing in flight exits within the linger, however often a health probe comes", async () => {
  const env = { MONGODB_URI: inject("mongoUri"), MONGODB_DATABASE: `${database}_probe`, SHUTDOWN_GRACE_MS: "5000" };
  const p = await startServiceProcess(env);
  let probing = true;
  const probes = (async () => {
    while (probing) {
      await fetch(`${p.url}/healthz`).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  p.proc.kill("SIGTERM");
  expect(await p.exited).toBe(0);
  probing = false;
  await probes;
  // The 200 ms linger and the shutdown's own work, far from the 5 s grace a trickle of probes
  // used to stretch it to (every arrival restarted the linger). Timed by the service's own log,
  // from "shutting down" to "stopped": a loaded machine's slow process exit is not the linger.
  const at = (msg: string) => Date.parse(String(p.records.find((r) => r.msg === msg)?.time));
  const ms = at("stopped") - at("shutting down");
  expect(ms).toBeGreaterThanOrEqual(0);
  expect(ms).toBeLessThan(3000);
}, 60_000);
