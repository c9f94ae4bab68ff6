/**
 * Where a read's time goes, on a database kept by `BENCH_KEEP=<dir> npm run bench`: for each
 * read of the benchmark, the whole read in-process (no HTTP), the database round trips alone
 * (the same documents fetched the same way), the CPU the embedded FerretDB spent, and the rest
 * (this process's JavaScript: bucket math, adding counters, decoding BSON).
 *
 *   BENCH_KEEP=/tmp/keep npx tsx bench/read-profile.ts 10000 1000000
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { startEmbeddedDatabase } from "../src/db/embedded.js";
import { createLogger } from "../src/log.js";
import { bucketsOf } from "../src/metrics/buckets.js";
import { segmentCounts } from "../src/metrics/overview.js";
import { resolveRange } from "../src/metrics/period.js";
import { Violations } from "../src/rpc/errors.js";
import { migrate } from "../src/storage/migrations/index.js";
import { Store } from "../src/storage/store.js";
import { DAY, END, NOW, START, prng } from "./dataset.js";

const KEEP = resolve(process.env.BENCH_KEEP ?? "/tmp/reads-keep");
const ROUNDS = Number(process.env.PROFILE_ROUNDS ?? 30);
const ACCOUNT = "acct_bench";

function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function profile(n: number): Promise<void> {
  const dir = join(KEEP, `n${n}`, "ferretdb");
  const db = await startEmbeddedDatabase(process.cwd(), dir, createLogger("warn"));
  const pid = Number(execFileSync("pgrep", ["-n", "-f", dir]).toString().trim());
  const store = await Store.open(db.uri, `bench_n${n}_s42`);
  await migrate(store);
  await db.indexIdLookups(`bench_n${n}_s42`);
  const rnd = prng(7);
  const series = (q: { period?: string; from?: string; to?: string; timeZone: string }, interval: "day" | "hour") => {
    const v = new Violations();
    const r = resolveRange(v, { period: q.period ?? "", from: q.from ?? "", to: q.to ?? "", timeZone: q.timeZone }, NOW)!;
    return bucketsOf(v, r, interval)!.map((b) => [b.from, b.end] as const);
  };
  const reads: Record<string, () => Promise<unknown>> = {
    "overview 90d": () => segmentCounts(store, ACCOUNT, [[START, END]]),
    "overview cut at seconds": () => {
      const from = START + Math.floor(rnd() * 29 * DAY) + Math.floor((rnd() * DAY) / 1000) * 1000;
      const to = Math.min(from + Math.floor((rnd() * 60 * DAY) / 1000) * 1000 + DAY, END - 1000);
      return segmentCounts(store, ACCOUNT, [[from, to + 1000]]);
    },
    "campaign metrics": () => store.rollups.campaign(ACCOUNT, `camp_${String(Math.floor(rnd() * 50)).padStart(2, "0")}`),
    "series 90d by day, Kolkata": () => segmentCounts(store, ACCOUNT, series({ period: "90d", timeZone: "Asia/Kolkata" }, "day")),
    "series 30d by hour, Berlin": () => segmentCounts(store, ACCOUNT, series({ from: "2026-03-07", to: "2026-04-05", timeZone: "Europe/Berlin" }, "hour")),
  };
  console.log(`\n== N = ${n} ==`);
  console.log("read                          p50 ms  FerretDB CPU ms/read  node CPU ms/read");
  for (const [name, fn] of Object.entries(reads)) {
    for (let i = 0; i < 5; i++) await fn();
    const t: number[] = [];
    const c0 = cpuMs(pid);
    const u0 = process.cpuUsage();
    for (let i = 0; i < ROUNDS; i++) {
      const s = performance.now();
      await fn();
      t.push(performance.now() - s);
    }
    const u = process.cpuUsage(u0);
    const ferret = (cpuMs(pid) - c0) / ROUNDS;
    const node = (u.user + u.system) / 1000 / ROUNDS;
    console.log(`${name.padEnd(30)}${median(t).toFixed(2).padStart(6)}  ${ferret.toFixed(2).padStart(20)}  ${node.toFixed(2).padStart(16)}`);
  }
  await store.close();
  await db.stop();
}

for (const n of process.argv.slice(2).map(Number)) await profile(n);
