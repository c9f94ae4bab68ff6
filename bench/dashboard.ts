/**
 * `npm run bench:dashboard`: what the dashboard costs a browser. Prints the JavaScript and CSS sent
 * (bytes as served, gzipped) and how long a page takes to become interactive in headless Chromium
 * (Debian's, driven by playwright-core) with the service on loopback: from navigation start to the
 * moment the page has its data on screen and its controls wired (the app's `dashboard-ready`
 * performance mark, set right after it renders a page's data).
 *
 * Env:
 *   DASH_EVENTS   email events loaded through the API first (default 10000, bench/dataset.ts)
 *   DASH_RUNS     page loads timed per row (default 20, after 3 untimed)
 *   MONGODB_URI   use this MongoDB instead of a fresh embedded FerretDB
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { startEmbeddedDatabase } from "../src/db/embedded.js";
import { createLogger, silentLogger } from "../src/log.js";
import { AnalyticsServer } from "../src/server/server.js";
import { Store } from "../src/storage/store.js";
import { NOW, generate } from "./dataset.js";

const ROOT = process.cwd();
const EVENTS = Number(process.env.DASH_EVENTS ?? 10_000);
const RUNS = Number(process.env.DASH_RUNS ?? 20);
const WARMUP = 3;

const log = (msg: string) => process.stderr.write(`[bench:dashboard] ${msg}\n`);

function quantiles(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { p50: q(0.5), p95: q(0.95), max: s[s.length - 1]! };
}

function gzipSize(url: string): Promise<{ raw: number; gzip: number }> {
  const get = (enc: string) =>
    new Promise<number>((resolve, reject) => {
      request(url, { headers: { "accept-encoding": enc } }, (res) => {
        let n = 0;
        res.on("data", (c: Buffer) => (n += c.length));
        res.on("end", () => resolve(n));
      })
        .on("error", reject)
        .end();
    });
  return Promise.all([get("identity"), get("gzip")]).then(([raw, gzip]) => ({ raw, gzip }));
}

interface Load {
  /** Navigation start to DOMContentLoaded: the page and its script are in and have run. */
  script: number;
  /** Navigation start to the end of the last API answer the page waited for. */
  data: number;
  /** Navigation start to the dashboard-ready mark: data rendered, controls wired. */
  interactive: number;
}

/** Loads a page and reads its timings (Navigation and Resource Timing, the app's mark). */
async function timeLoad(ctx: BrowserContext, url: string): Promise<Load> {
  const page = await ctx.newPage();
  try {
    await page.goto(url);
    await page.waitForSelector('main[data-state="ready"]');
    return await page.evaluate(`({
      script: performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd,
      data: Math.max(...performance.getEntriesByType("resource").filter((r) => r.name.includes("AnalyticsService/")).map((r) => r.responseEnd)),
      interactive: performance.getEntriesByName("dashboard-ready")[0].startTime,
    })`);
  } finally {
    await page.close();
  }
}

async function main(): Promise<void> {
  log("building the dashboard (scripts/build-web.mjs)");
  execFileSync(process.execPath, ["scripts/build-web.mjs"], { stdio: "inherit" });
  const executablePath = execFileSync(process.execPath, ["scripts/ensure-chromium.mjs"], { encoding: "utf8" }).trim();

  const dir = mkdtempSync(join(tmpdir(), "misar-dash-"));
  const db = process.env.MONGODB_URI ? undefined : await startEmbeddedDatabase(ROOT, join(dir, "ferretdb"), createLogger("warn"));
  const uri = process.env.MONGODB_URI ?? db!.uri;
  const database = `bench_dash_${Date.now().toString(36)}`;
  const store = await Store.open(uri, database);
  if (db) await db.indexIdLookups(database);
  const server = await AnalyticsServer.create({ store, log: silentLogger, host: "127.0.0.1", port: 0, root: ROOT, now: () => new Date(NOW) });
  const base = `http://127.0.0.1:${server.port}`;
  let browser: Browser | undefined;
  try {
    const { key } = await store.keys.create("acct_dash", ["analytics", "ingest"], new Date());
    log(`loading ${EVENTS.toLocaleString("en-US")} events through the API`);
    const events = generate(EVENTS, 42);
    for (let i = 0; i < events.length; i += 1000) {
      const res = await fetch(`${base}/api/v1/ingest/email-events`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ events: events.slice(i, i + 1000) }),
      });
      if (res.status !== 200) throw new Error(`ingest: ${res.status} ${await res.text()}`);
    }
    const campaign = events.find((e) => e.type === "open")!.campaign_id;

    const html = await (await fetch(base + "/")).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
    const sizes = await Promise.all(assets.map(async (a) => ({ asset: a, ...(await gzipSize(base + a)) })));

    browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
    const rows: { what: string; ms: Record<keyof Load, ReturnType<typeof quantiles>> }[] = [];
    const measure = async (what: string, url: string, cold: boolean) => {
      const samples: Load[] = [];
      let ctx = await newContext(browser!, key);
      for (let i = 0; i < WARMUP + RUNS; i++) {
        if (cold) {
          await ctx.close();
          ctx = await newContext(browser!, key);
        }
        const ms = await timeLoad(ctx, url);
        if (i >= WARMUP) samples.push(ms);
      }
      await ctx.close();
      const q = (k: keyof Load) => quantiles(samples.map((x) => x[k]));
      rows.push({ what, ms: { script: q("script"), data: q("data"), interactive: q("interactive") } });
    };
    await measure("overview (30d), empty cache", `${base}/`, true);
    await measure("overview (30d), cached assets", `${base}/`, false);
    await measure("campaign page, empty cache", `${base}/#/campaigns/${campaign}`, true);
    await measure("campaign page, cached assets", `${base}/#/campaigns/${campaign}`, false);

    const version = (await browser.version()).trim();
    console.log(`# Dashboard benchmark — ${new Date().toISOString()}\n`);
    console.log(`machine:  ${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB`);
    console.log(`browser:  Chromium ${version}, headless, 1280x800, service on ${base} (loopback), ${db ? "embedded FerretDB" : "MONGODB_URI"}`);
    console.log(`data:     ${EVENTS.toLocaleString("en-US")} email events (bench/dataset.ts), server clock ${NOW.toISOString()}\n`);
    console.log("Sent to the browser (bytes as served):\n");
    console.log("asset                                  raw     gzip");
    for (const s of sizes) console.log(`${s.asset.padEnd(34)} ${String(s.raw).padStart(8)} ${String(s.gzip).padStart(8)}`);
    const js = sizes.filter((s) => s.asset.endsWith(".js")).reduce((n, s) => n + s.gzip, 0);
    console.log(`\nJavaScript, gzipped: ${(js / 1024).toFixed(1)} KB (budget 150 KB)\n`);
    console.log(`Milliseconds from navigation start (${RUNS} loads each after ${WARMUP} untimed): script run (DOMContentLoaded),`);
    console.log("last API answer in, interactive (data rendered, controls wired):\n");
    console.log("page                              script p50  data p50  interactive p50    p95    max");
    for (const r of rows) {
      const f = (n: number, w: number) => n.toFixed(0).padStart(w);
      console.log(
        `${r.what.padEnd(34)} ${f(r.ms.script.p50, 10)} ${f(r.ms.data.p50, 9)} ${f(r.ms.interactive.p50, 16)} ${f(r.ms.interactive.p95, 6)} ${f(r.ms.interactive.max, 6)}`,
      );
    }
    console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(1)).join(", ")} (${cpus().length} cores)`);
  } finally {
    await browser?.close();
    await server.close(1000);
    await store.db.dropDatabase().catch(() => undefined);
    await store.close();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A browser profile signed in as a person would be: the key in this tab's sessionStorage. */
async function newContext(browser: Browser, key: string): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  await ctx.addInitScript(`sessionStorage.setItem("misar.analytics.apiKey", ${JSON.stringify(key)})`);
  return ctx;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
