/**
 * Where a read's time goes, on a database kept by `BENCH_KEEP=<dir> npm run bench`: for each
 * read of the benchmark, the whole read in-process (no HTTP), the database round trips alone
 * (the same documents fetched the same way), the CPU the embedded FerretDB spent, and the rest
 * (this process's JavaScript: bucket math, adding counters, decoding BSON).
 *
 *   BENCH_KEEP=/tmp/keep npx tsx bench/read-profile.ts 10000 1000000
 *
 * (PROFILE_ROUNDS: timed rounds per read, default 30.)
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
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
const SIZES = process.argv.slice(2).map(Number);

function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Size {
  n: number;
  pid: number;
  reads: Record<string, () => Promise<unknown>>;
  close(): Promise<void>;
}

async function open(n: number): Promise<Size> {
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
  return {
    n,
    pid,
    reads,
    close: async () => {
      await store.close();
      await db.stop();
    },
  };
}

/**
 * Both sizes open at once and timed in turns, read by read, so that whatever else the machine
 * does falls on both alike: the ratio is what this measures.
 */
async function main(): Promise<void> {
  const [small, large] = [await open(SIZES[0]!), await open(SIZES[1]!)];
  console.log(`in-process reads (no HTTP), ${ROUNDS} rounds each, the two sizes in turns; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  console.log(`${"read".padEnd(28)}  ${"p50 @" + small.n}  ${"p50 @" + large.n}  ratio  FerretDB CPU ms/read (small, large)  node CPU ms/read (both)`);
  for (const name of Object.keys(small.reads)) {
    const t = new Map<Size, number[]>([[small, []], [large, []]]);
    const ferret = new Map<Size, number>([[small, 0], [large, 0]]);
    let node = 0;
    for (let i = 0; i < 5; i++) for (const s of [small, large]) await s.reads[name]!();
    for (let i = 0; i < ROUNDS; i++) {
      for (const s of [small, large]) {
        const c0 = cpuMs(s.pid);
        const u0 = process.cpuUsage();
        const start = performance.now();
        await s.reads[name]!();
        t.get(s)!.push(performance.now() - start);
        const u = process.cpuUsage(u0);
        node += (u.user + u.system) / 1000;
        ferret.set(s, ferret.get(s)! + cpuMs(s.pid) - c0);
      }
    }
    const a = median(t.get(small)!);
    const b = median(t.get(large)!);
    const f = (s: Size) => (ferret.get(s)! / ROUNDS).toFixed(1);
    console.log(`${name.padEnd(28)}  ${a.toFixed(2).padStart(9)}  ${b.toFixed(2).padStart(11)}  ${(b / a).toFixed(2)}x  ${(f(small) + ", " + f(large)).padStart(35)}  ${(node / ROUNDS / 2).toFixed(1).padStart(23)}`);
  }
  await small.close();
  await large.close();
}

await main();
