// The fault harness: a sustained ingest into a real service process on the embedded FerretDB,
// while the service, its FerretDB child, or both are killed (-9) at random points and at exact
// ones (between the raw write and the counts, half-way through the counts: the process kills
// itself there, MISAR_TEST_DIE_AT). The service is restarted at once, every unanswered batch is
// sent again until it is answered 200, and then every metric must equal the reference model of
// the dataset within seconds, with no further restart. No answer may ever be a 500.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { startServiceProcess, type ServiceProcess } from "../helpers/process.js";
import { generate } from "../read/generator.js";
import { chunk, int, mulberry32, pick, shuffle, type Ev } from "../read/lib.js";
import { call, checkAttribution, converge, postEvents } from "./reference.js";

/** FAULT_SEED replays a failed run (its seed is in the test name). */
const SEED = process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) : Math.floor(Math.random() * 1e6);
/** Kill points at least: deaths of the service (by us or at a die point) plus kills of the database child. */
const MIN_KILLS = 20;
/** The killer stops here and lets the rest of the ingest through (each restart costs seconds). */
const MAX_KILLS = 26;
/** Exact points where a restarted process kills itself the nth time it gets there. */
const DIE_POINTS = ["after-raw", "after-marks", "after-rollups", "after-journal"] as const;
const LEASE_TTL_MS = 1000;

const dir = mkdtempSync(join(tmpdir(), "misar-kill-"));
let current: ServiceProcess | undefined;
afterAll(async () => {
  await current?.kill9();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`kill -9 of the service and of its database at ${MIN_KILLS}+ points of a sustained ingest: every metric exact afterwards (seed ${SEED})`, async () => {
  const rng = mulberry32(SEED);
  const s = generate(rng, "kh", 2);
  // Producer ids on every event: an id-less event re-sent after a crash may count twice (documented).
  const events = s.events.filter((e) => e.id !== undefined).sort((x, y) => x.ms - y.ms);
  const batches = shuffle(rng, chunk(events, 20)).map((b, i, all) => {
    const copy = [...b];
    // Identical re-sends of a few events of earlier batches: duplicates, counted once.
    for (let j = i > 0 ? int(rng, 0, 3) : 0; j > 0; j--) copy.push(pick(rng, all[int(rng, 0, i - 1)]!));
    return shuffle(rng, copy);
  });

  const env = { DATA_DIR: join(dir, "ferretdb"), MONGODB_URI: "", LEASE_TTL_MS: String(LEASE_TTL_MS) };
  const start = (dieAt?: string) => startServiceProcess(dieAt ? { ...env, MISAR_TEST_DIE_AT: dieAt } : env);
  current = await start();
  const key = await current.printedKey();

  // The sender: three workers; a batch goes back to the queue until it is answered 200.
  const queue = [...batches];
  let answered = 0;
  let busy = 0;
  const statuses = new Map<number | string, number>();
  const seen = (k: number | string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);
  const oddities: string[] = [];
  const done = () => queue.length === 0 && busy === 0;
  const worker = async () => {
    while (!done()) {
      const batch = queue.shift();
      const svc = current;
      if (!batch || !svc) {
        if (batch) queue.unshift(batch);
        await sleep(20);
        continue;
      }
      busy++;
      try {
        const r = await postEvents(svc.url, key, batch);
        seen(r.status);
        if (r.status !== 200 && r.status !== 503) {
          await sleep(100);
          oddities.push(JSON.stringify(svc.records.filter((x) => x.level === "error").slice(-3)));
        }
        if (r.status === 200) answered++;
        else queue.push(batch);
      } catch {
        seen("no answer");
        queue.push(batch);
      } finally {
        busy--;
      }
      await sleep(10);
    }
  };
  const workers = Promise.all([worker(), worker(), worker()]);

  // The killer: every few answered batches, kills something; a dead service is restarted at once.
  let serviceDeaths = 0;
  let dieHookDeaths = 0;
  let dbKills = 0;
  /** Exact points reached so far, in order: each restart dies at the next one until all are. */
  let forcedDies = 0;
  /** The current process must die at DIE_POINTS[forcedDies]; the killer leaves it alone till then. */
  let forcedPending = false;
  const restart = async () => {
    current = undefined;
    // The first restarts die at each exact point; later ones at a random point now and then.
    forcedPending = forcedDies < DIE_POINTS.length;
    const dieAt = forcedPending
      ? `${DIE_POINTS[forcedDies]}:1`
      : serviceDeaths + dbKills < MAX_KILLS && rng() < 0.3
        ? `${pick(rng, DIE_POINTS)}:${int(rng, 1, 3)}`
        : undefined;
    current = await start(dieAt);
  };
  const ferretPid = (p: ServiceProcess) => [...p.records].reverse().find((r) => r.msg === "embedded FerretDB started")!.pid as number;
  while (!done()) {
    const p = current!;
    const target = answered + int(rng, 1, 3);
    const reason = await Promise.race([
      p.exited.then(() => "died" as const),
      (async () => {
        while (answered < target && !done()) await sleep(5);
        await sleep(int(rng, 0, 40));
        return "kill" as const;
      })(),
    ]);
    if (reason === "died") {
      dieHookDeaths++;
      serviceDeaths++;
      if (forcedPending) forcedDies++;
      await restart();
      continue;
    }
    if (done()) break;
    // A batch whose events are all stored already answers 200 without passing the marks or the
    // rollups: a process due to die there keeps serving until a batch with new events reaches it.
    if (forcedPending) continue;
    if (serviceDeaths + dbKills >= MAX_KILLS) continue;
    const what = pick(rng, ["service", "service", "database", "both"] as const);
    if (what !== "service") {
      try {
        process.kill(ferretPid(p), "SIGKILL");
        dbKills++;
      } catch {
        /* already gone */
      }
    }
    if (what !== "database") {
      await p.kill9();
      serviceDeaths++;
      await restart();
    } else {
      // (A process that dies at its die point meanwhile is restarted by the next round.)
      await p.waitFor((r) => r.msg === "embedded database restarted" && r.restarts === dbKillsOf(p), 20_000).catch(() => undefined);
    }
  }
  await workers;
  const final = current!;

  const kills = serviceDeaths + dbKills;
  console.log(`seed ${SEED}: ${batches.length} batches, ${events.length} events; service deaths ${serviceDeaths} (${dieHookDeaths} at exact points), database kills ${dbKills}; answers ${JSON.stringify([...statuses])}`);
  expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
  expect(dieHookDeaths).toBeGreaterThanOrEqual(DIE_POINTS.length);
  expect(answered).toBe(batches.length);
  expect(oddities).toEqual([]);
  expect([...statuses.keys()].filter((k) => k !== 200 && k !== 503 && k !== "no answer")).toEqual([]);

  // Every batch answered 200: within seconds, and with no restart, every metric is exact.
  const ms = await converge(final.url, key, events, s.campaigns, 30_000);
  console.log(`seed ${SEED}: metrics exact ${Math.round(ms)} ms after the last batch was answered`);
  const health = await call(final.url, key, "GET", "/healthz");
  expect(health.body).toMatchObject({ success: true, status: "ok", repairs_due: 0 });
  const clicks = events.filter((e) => e.type === "click" && e.campaign_id).slice(0, 15);
  const attribution = await checkAttribution(final.url, key, "acct_local", events, clicks, `kh${SEED}`);
  expect(attribution.got).toEqual(attribution.want);
}, 300_000);

/** How many times this process's supervisor restarted its database (from its log). */
function dbKillsOf(p: ServiceProcess): number {
  return p.records.filter((r) => r.msg === "embedded database exited; restarting it").length;
}
