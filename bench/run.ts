/**
 * `npm run bench`: ingest throughput and read latency of Misar Analytics at several dataset sizes,
 * each beside the same database's raw driver baseline measured in the same run.
 *
 * Env:
 *   BENCH_SIZES         comma-separated event counts (default "10000,1000000")
 *   BENCH_READS         timed requests per read kind (default 200; warm-up is 20 more)
 *   BENCH_CONCURRENCY   concurrent ingest batches for the extra concurrent-ingest run
 *                       (default 4; 1 or 0 skips it)
 *   BENCH_CONCURRENT_MAX  events ingested in the concurrent run, at most (default 100000)
 *   BENCH_SEED          PRNG seed (default 42)
 *   BENCH_ACCOUNTS      comma-separated numbers of accounts in the database during the reads
 *                       (default "1": the measured account alone; e.g. "1,1000" adds 999 others,
 *                       each with 90 days of events over 5 campaigns, and measures the reads again)
 *   BENCH_OTHER_EVENTS  events of each other account (default 500)
 *   MONGODB_URI         use this MongoDB instead of the embedded FerretDB
 *   COUNT_DELAY_MS      the service's count delay (default: the service's, 500; 0 counts every
 *                       batch before its 200, as before counting trailed the answer)
 *   BENCH_KEEP          a directory: each size's database is kept there (`<dir>/n<N>`) and
 *                       reused by the next run with the same BENCH_KEEP, size and seed, which
 *                       skips the ingest and times the reads only (after migrating the kept data
 *                       to this build's rollup version, as `npm start` does)
 *
 * Every size runs in its own fresh database (on the embedded FerretDB: its own fresh data dir),
 * unless BENCH_KEEP names one to reuse. Each size is loaded in turn and left running; then the
 * reads of all sizes are timed in turns, request by request (timeInTurns), so that a shared
 * machine's load falls on every size alike.
 * See bench/README.md.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, freemem, platform, release, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { MongoClient, MongoServerError, type Collection } from "mongodb";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../src/db/embedded.js";
import { createLogger, silentLogger } from "../src/log.js";
import { DEFAULT_COUNT_DELAY_MS } from "../src/config.js";
import { AnalyticsServer } from "../src/server/server.js";
import { Store } from "../src/storage/store.js";
import { migrate } from "../src/storage/migrations/index.js";
import type { EmailEventDoc } from "../src/storage/email-events.js";
import { CAMPAIGNS, DAY, END, NOW, START, generate, prng, toInput, type WireEvent } from "./dataset.js";

const ROOT = process.cwd();
const SIZES = (process.env.BENCH_SIZES ?? "10000,1000000").split(",").map((s) => Number(s.trim().replace(/_/g, "")));
const READS = Number(process.env.BENCH_READS ?? 200);
const WARMUP = 20;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const COUNT_DELAY_MS = Number(process.env.COUNT_DELAY_MS ?? DEFAULT_COUNT_DELAY_MS);
const CONCURRENT_MAX = Number(process.env.BENCH_CONCURRENT_MAX ?? 100_000);
/**
 * An ingest row shorter than this many batches is measured again in rounds (each into another
 * account, in a scratch database) until it has that many, and its share pooled: the 10^4 rows are
 * ten batches, about a second, and one such measurement moved by ±8 points between runs.
 */
const MIN_INGEST_BATCHES = Number(process.env.BENCH_MIN_INGEST_BATCHES ?? 100);
const SEED = Number(process.env.BENCH_SEED ?? 42);
const ACCOUNTS = (process.env.BENCH_ACCOUNTS ?? "1").split(",").map((s) => Number(s.trim())).sort((a, b) => a - b);
const OTHER_EVENTS = Number(process.env.BENCH_OTHER_EVENTS ?? 500);
const KEEP = process.env.BENCH_KEEP ? resolve(process.env.BENCH_KEEP) : undefined;
const OTHER_CAMPAIGNS = 5;
const BATCH = 1000;
const ACCOUNT = "acct_bench";
/** BENCH_LOG=warn|error shows the server's own log on stderr (silent by default). */
const SERVER_LOG = process.env.BENCH_LOG ? createLogger(process.env.BENCH_LOG as "warn") : silentLogger;

// ---------------------------------------------------------------------------------------------
// Measuring

interface Lat {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  n: number;
}

function lat(samples: number[]): Lat {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length, n: s.length };
}

/** Runs `jobs` with at most `c` in flight, in order of start. */
async function pool<T>(items: T[], c: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(c, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const chunks = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, (i + 1) * n));
const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));
const int = (n: number) => Math.round(n).toLocaleString("en-US");
const secs = (ms: number) => (ms / 1000).toFixed(1) + " s";

// ---------------------------------------------------------------------------------------------
// One database per size

const NAMESPACE_EXISTS = 48;
/**
 * Issue 13's ingest target: the service's share of raw insertMany in bench/RESULTS.md run 6, by
 * size and batches in flight (10^6's concurrent row is its first 100,000 events); other rows are
 * held to the least of them.
 */
const RUN6_SHARE = new Map([["10000/1", 0.56], ["10000/4", 0.553], ["1000000/1", 0.648], ["1000000/4", 0.713]]);
const RUN6_SHARE_LEAST = 0.553;

/** The raw baseline's inserts go here, in the same database as the service's collections. */
const RAW_COLLECTION = "bench_raw_events";

interface Db {
  uri: string;
  kind: string;
  /** As `npm start` does once the store's collections exist (embedded FerretDB only). */
  indexIdLookups(database: string): Promise<number>;
  stop(): Promise<void>;
}

/** `keep`: the database is BENCH_KEEP's for this tag, kept afterwards (and maybe already loaded). */
async function openDatabase(tag: string, keep = false): Promise<Db & { name: string; kept: boolean }> {
  const kept = keep && KEEP !== undefined;
  const name = kept ? `bench_${tag}_s${SEED}` : `bench_${tag}_${Date.now().toString(36)}`;
  if (process.env.MONGODB_URI) {
    return { uri: process.env.MONGODB_URI, kind: "mongodb (MONGODB_URI)", name, kept, indexIdLookups: async () => 0, stop: async () => {} };
  }
  const dir = kept ? join(KEEP!, tag) : mkdtempSync(join(tmpdir(), "misar-bench-"));
  mkdirSync(dir, { recursive: true });
  const db: EmbeddedDatabase = await startEmbeddedDatabase(ROOT, join(dir, "ferretdb"), createLogger("warn"));
  return {
    uri: db.uri,
    kind: `embedded ${db.kind}`,
    name,
    kept,
    indexIdLookups: (database) => db.indexIdLookups(database),
    stop: async () => {
      await db.stop();
      if (!kept) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** In a kept database (BENCH_KEEP): marks that the size's dataset, lists and links are loaded. */
const LOADED = { collection: "bench_meta", _id: "loaded" } as const;

interface Service {
  url: string;
  key: string;
  store: Store;
  raw: MongoClient;
  /** Stops the server and closes the clients (drops the database unless it is kept). */
  close(): Promise<void>;
}

/** The service on `db`, as `npm start` would run it, until `close`. */
async function startService(db: Db & { name: string; kept?: boolean }): Promise<Service> {
  const store = await Store.open(db.uri, db.name, { countDelayMs: COUNT_DELAY_MS });
  // As `npm start` does: a kept database loaded by an older build is brought to this one's rollups.
  const migrated = await migrate(store);
  if (migrated.steps.length) console.error(`migrated the kept database from rollup version ${migrated.from}: ${migrated.steps.join("; ")}`);
  if (migrated.rebuild.length) {
    console.error(`rebuilding ${migrated.rebuild.length} account(s) from their raw events…`);
    for (const account of migrated.rebuild) await store.ingest.rebuild(account);
  }
  // The raw baseline's collection gets the same _id index as the service's own.
  await store.db.createCollection(RAW_COLLECTION).catch((err: unknown) => {
    // A kept database (BENCH_KEEP) may still have it from a run that was stopped.
    if (!(err instanceof MongoServerError && err.code === NAMESPACE_EXISTS)) throw err;
  });
  await db.indexIdLookups(db.name);
  const server = await AnalyticsServer.create({ store, log: SERVER_LOG, host: "127.0.0.1", port: 0, root: ROOT, now: () => new Date(NOW) });
  const raw = new MongoClient(db.uri);
  await raw.connect();
  const { key } = await store.keys.create(ACCOUNT, ["analytics", "track", "ingest"], new Date());
  return {
    url: `http://127.0.0.1:${server.port}`,
    key,
    store,
    raw,
    close: async () => {
      await server.close(1000);
      if (!db.kept) await raw.db(db.name).dropDatabase().catch(() => undefined);
      await raw.close();
      await store.close();
    },
  };
}

async function postBatch(url: string, key: string, events: WireEvent[]): Promise<number> {
  const res = await fetch(`${url}/api/v1/ingest/email-events`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ events }),
  });
  const body = (await res.json()) as { success: boolean; accepted?: number; duplicates?: number };
  if (res.status !== 200 || !body.success) throw new Error(`ingest failed ${res.status}: ${JSON.stringify(body).slice(0, 500)}`);
  return body.accepted!;
}

/** Campaigns in the account during the reads: the dataset's, and registered ones up to this many. */
const LISTED_CAMPAIGNS = 500;
/** The campaign with this many distinct links (the same at every size). */
const LINKS = 200;
const LINKS_CAMPAIGN = "camp_links";

/**
 * What the list and links reads need, the same at every size, untimed: campaigns registered
 * (drafts, no events) until the account has LISTED_CAMPAIGNS, and a campaign whose clicks carry
 * LINKS distinct urls (two clicks each, from 100 contacts; some flagged machine).
 */
async function prepareListAndLinks(url: string, key: string, datasetCampaigns: number): Promise<void> {
  const extra = LISTED_CAMPAIGNS - datasetCampaigns - 1;
  await pool(Array.from({ length: extra }, (_, i) => i), 8, async (i) => {
    const res = await fetch(`${url}/api/v1/campaigns/camp_reg_${String(i).padStart(3, "0")}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ name: `Registered ${i}`, status: i % 3 ? "sent" : "draft", ...(i % 3 ? { sent_at: new Date(START + i * 3_600_000).toISOString() } : {}) }),
    });
    if (res.status !== 200) throw new Error(`upsert campaign ${i}: ${res.status}`);
  });
  const at = (i: number) => new Date(END - DAY + i * 1000).toISOString().replace(".000Z", "Z");
  const clicks: WireEvent[] = Array.from({ length: 2 * LINKS }, (_, i) => ({
    id: `links_${i}`,
    type: "click",
    contact_email: `linker${i % 100}@example.com`,
    timestamp: at(i),
    campaign_id: LINKS_CAMPAIGN,
    url: `https://shop.example.com/links/p${i % LINKS}?utm_source=misar&utm_campaign=${LINKS_CAMPAIGN}`,
    ...(i % 5 === 0 ? { machine: true } : {}),
  }));
  await postBatch(url, key, clicks);
}

async function getJson(url: string, key: string, path: string): Promise<unknown> {
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${key}` } });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`GET ${path} -> ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return body;
}

interface IngestRun {
  /** Over every round. */
  events: number;
  concurrency: number;
  serviceMs: number;
  rawMs: number;
  /** Each round's share of raw (service/raw events a second), when measured in rounds (MIN_INGEST_BATCHES). */
  roundShares?: number[];
  /** Concurrent runs only: the batches the service refused (their error messages). */
  failures?: string[];
}

interface SizeResult {
  n: number;
  genMs: number;
  ingest: IngestRun[];
  /** With the measured account alone (or the fewest accounts of BENCH_ACCOUNTS). */
  reads: Record<string, Lat>;
  /** The same reads by number of accounts in the database (BENCH_ACCOUNTS). */
  byAccounts: { accounts: number; loadMs: number; reads: Record<string, Lat> }[];
  counts: { collection: string; docs: number }[];
}

/** Untimed batches on each side before an ingest measurement (10,000 events). */
const INGEST_WARMUP_BATCHES = 10;

/**
 * Untimed batches on each side before an ingest measurement, as the reads get warm-up requests:
 * code paths compiled by the JIT, pools and caches filled. Ten, not one: the 10^4 rows are
 * themselves only ten batches, and a process's first batches run the service's per-batch code
 * (counting, rollups) before V8 has optimised it (55–57 ms of Node CPU a batch, against 42 warm),
 * while bare insertMany has little code of its own to warm. The service's go to another account
 * (`acct_warmup`), so the measured one stays exact.
 */
async function warmUp(store: Store, col: Collection<EmailEventDoc>, url: string, batches: WireEvent[][]): Promise<void> {
  const { key } = await store.keys.create("acct_warmup", ["ingest"], new Date());
  const warm = batches.slice(0, INGEST_WARMUP_BATCHES).map((b) => b.map((e) => ({ ...e, id: `warm_${e.id}` })));
  for (const b of warm) await col.insertMany(store.emailEvents.toDocs("acct_warmup", "warmup", b.map(toInput)), { ordered: false });
  for (const b of warm) await postBatch(url, key, b);
  await allCounted(store, "acct_warmup");
}

/**
 * Waits until every batch answered for the account is counted, as each read does first: the
 * service answers a batch before counting it (COUNT_DELAY_MS), and its ingest time ends when the
 * counts are written, not at the last 200.
 */
async function allCounted(store: Store, account: string): Promise<void> {
  await store.ingest.counted(account, 60_000);
}

/** Sequential ingest takes turns with the raw baseline by this many batches (10,000 events). */
const TURN_BATCHES = 10;

/** Raw baseline: the same documents the service would store, by bare insertMany, batches of 1,000. */
async function rawInsert(store: Store, col: Collection<EmailEventDoc>, batches: WireEvent[][], c: number, account = ACCOUNT): Promise<number> {
  const docs = batches.map((b, i) => store.emailEvents.toDocs(account, `rawbatch${i}`, b.map(toInput)));
  const t = performance.now();
  await pool(docs, c, async (d) => {
    await col.insertMany(d, { ordered: false });
  });
  return performance.now() - t;
}

/**
 * Sequential ingest in turns of TURN_BATCHES batches: the raw baseline's `insertMany` of those
 * batches one by one (into a scratch collection of the same database), then the service's POST
 * of the same batches one by one, its time ending once they are all counted (allCounted). Taking
 * turns exposes both to the same moment of a noisy machine and the same database size, so their
 * ratio does not drift with whatever else the host does between two phases; turns of several
 * batches rather than one let the service count as it does for a producer sending batch after
 * batch, while none of its counting can fall into the baseline's time.
 */
async function interleavedIngest(store: Store, raw: MongoClient, dbName: string, url: string, key: string, batches: WireEvent[][], account = ACCOUNT) {
  const col = raw.db(dbName).collection<EmailEventDoc>(RAW_COLLECTION);
  let rawMs = 0;
  let serviceMs = 0;
  let done = 0;
  let lastLog = performance.now();
  for (let turn = 0; turn < batches.length; turn += TURN_BATCHES) {
    const some = batches.slice(turn, turn + TURN_BATCHES);
    for (const [j, b] of some.entries()) {
      const docs = store.emailEvents.toDocs(account, `rawbatch${turn + j}`, b.map(toInput));
      const t = performance.now();
      await col.insertMany(docs, { ordered: false });
      rawMs += performance.now() - t;
    }
    const t = performance.now();
    for (const b of some) {
      const accepted = await postBatch(url, key, b);
      if (accepted !== b.length) throw new Error(`accepted ${accepted} of ${b.length}`);
      done += b.length;
    }
    await allCounted(store, account);
    serviceMs += performance.now() - t;
    if (performance.now() - lastLog > 15_000) {
      lastLog = performance.now();
      console.error(`  … ${int(done)} events: service ${int((done / serviceMs) * 1000)} ev/s, raw ${int((done / rawMs) * 1000)} docs/s`);
    }
  }
  return { rawMs, serviceMs };
}

/** Concurrent ingest: `c` batches in flight, timed until every one is counted. */
async function serviceIngest(store: Store, url: string, key: string, batches: WireEvent[][], c: number, progress: boolean, failures?: string[], account = ACCOUNT): Promise<number> {
  const t = performance.now();
  let done = 0;
  let lastLog = t;
  await pool(batches, c, async (b) => {
    try {
      const accepted = await postBatch(url, key, b);
      if (accepted !== b.length) throw new Error(`accepted ${accepted} of ${b.length}`);
    } catch (err) {
      // Sequential runs must be clean; concurrent runs report their failures instead of stopping.
      if (!failures) throw err;
      failures.push(String((err as Error).message ?? err).slice(0, 200));
    }
    done += b.length;
    const now = performance.now();
    if (progress && now - lastLog > 15_000) {
      lastLog = now;
      console.error(`  … ${int(done)} events in ${secs(now - t)} (${int((done / (now - t)) * 1000)} ev/s)`);
    }
  });
  await allCounted(store, account);
  return performance.now() - t;
}

/** One size's database and service, up from its ingest until every size's reads are timed. */
interface SizeRun {
  n: number;
  db: Db & { name: string; kept: boolean };
  service: Service;
  result: SizeResult;
  campaignIds: string[];
  sampleIds: string[];
  purchases: { contact_email: string; timestamp: string }[];
  concurrentPart: WireEvent[][];
  /** Accounts in the database now (a kept database may hold more than asked for). */
  accounts: number;
  /** Whether the kept database already had the dataset, lists and links (BENCH_KEEP). */
  loaded: boolean;
}

/**
 * Size `n`'s database, loaded (sequential ingest in turns with the raw baseline) or reused
 * (BENCH_KEEP), checked, counted, and left running for the reads.
 */
async function loadSize(n: number): Promise<SizeRun> {
  console.error(`\n=== N = ${int(n)} events ===`);
  const t = performance.now();
  const events = generate(n, SEED);
  const genMs = performance.now() - t;
  console.error(`generated ${int(events.length)} events in ${secs(genMs)}`);
  // Held in a box so the read phase can let go of it: the service shares this process's heap.
  const data: { batches?: WireEvent[][] } = { batches: chunks(events, BATCH) };
  const sends = events.filter((e) => e.type === "send").length;
  const campaignIds = [...new Set(events.map((e) => e.campaign_id))];
  const sampleIds = Array.from({ length: 1000 }, (_, i) => events[Math.floor((i * events.length) / 1000)]!.id);
  // Purchases an hour after sampled clicks, so attribution has a click to find.
  const clicks = events.filter((e) => e.type === "click");
  const every = Math.max(1, Math.floor(clicks.length / 1000));
  const purchases = clicks
    .filter((_, i) => i % every === 0)
    .map((c) => ({ contact_email: c.contact_email, timestamp: new Date(Date.parse(c.timestamp) + 3_600_000).toISOString() }));
  const concurrentPart = data.batches!.slice(0, Math.ceil(Math.min(n, CONCURRENT_MAX) / BATCH));
  events.length = 0;
  const result: SizeResult = { n, genMs, ingest: [], reads: {}, byAccounts: [], counts: [] };

  const db = await openDatabase(`n${n}`, true);
  let service: Service | undefined;
  try {
    service = await startService(db);
    const { url, key, store, raw } = service;
    const meta = raw.db(db.name).collection<{ _id: string; accounts: number }>(LOADED.collection);
    const loaded = db.kept ? await meta.findOne({ _id: LOADED._id }) : null;
    if (loaded) {
      console.error(`reusing the kept database ${db.name} (BENCH_KEEP): no ingest`);
    } else {
      console.error("sequential ingest: raw insertMany and RecordEmailEvents (REST), batch by batch in turns…");
      await warmUp(store, raw.db(db.name).collection<EmailEventDoc>(RAW_COLLECTION), url, data.batches!);
      const first = await interleavedIngest(store, raw, db.name, url, key, data.batches!);
      await raw.db(db.name).collection(RAW_COLLECTION).drop().catch(() => undefined);
      console.error(`  service ${int((n / first.serviceMs) * 1000)} events/s, raw ${int((n / first.rawMs) * 1000)} docs/s`);
      result.ingest.push(pooled([first, ...(await sequentialRounds(n, data.batches!))], n, 1));
    }
    data.batches = undefined;

    // Sanity: the 90d overview must count every send of the dataset.
    const ov = (await getJson(url, key, "/api/v1/analytics/overview?period=90d")) as { metrics: { sends: number } };
    if (ov.metrics.sends !== sends) throw new Error(`90d overview sends ${ov.metrics.sends}, dataset has ${sends}`);
    console.error(`sanity: 90d overview sends = ${int(sends)} = dataset sends`);

    for (const c of ["email_events", "account_day_spans", "account_day_hours", "account_hour_seconds", "campaign_stats", "message_firsts", "contact_click_days"]) {
      result.counts.push({ collection: c, docs: await raw.db(db.name).collection(c).countDocuments() });
    }
    return { n, db, service, result, campaignIds, sampleIds, purchases, concurrentPart, accounts: loaded?.accounts ?? 1, loaded: loaded !== null };
  } catch (err) {
    await service?.close();
    await db.stop();
    throw err;
  }
}

/** Brings a size's database to `want` accounts (and, the first time, its list and links data). */
async function prepareReads(s: SizeRun, want: number, first: boolean): Promise<number> {
  const { url, key, store, raw } = s.service;
  let loadMs = 0;
  if (want > s.accounts) {
    loadMs = await loadOtherAccounts(url, store, s.accounts - 1, want - 1);
    s.accounts = want;
  }
  if (first && !s.loaded) await prepareListAndLinks(url, key, s.campaignIds.length);
  if (s.db.kept) await raw.db(s.db.name).collection<{ _id: string; accounts: number }>(LOADED.collection).updateOne({ _id: LOADED._id }, { $max: { accounts: s.accounts } }, { upsert: true });
  return loadMs;
}

/**
 * Every size's reads, timed in turns (see timeInTurns): with BENCH_ACCOUNTS, once per number of
 * accounts (the others loaded into every size first); then the purchase attribution and the raw
 * `findOne` baseline, also in turns.
 */
async function measureReads(sizes: SizeRun[]): Promise<void> {
  // The datasets are unreachable now; collect them before timing, not during (see README).
  (globalThis as { gc?: () => void }).gc?.();
  for (const [level, want] of (ACCOUNTS.length ? ACCOUNTS : [1]).entries()) {
    const loadMs = new Map<SizeRun, number>();
    for (const s of sizes) loadMs.set(s, await prepareReads(s, want, level === 0));
    const accounts = Math.max(...sizes.map((s) => s.accounts));
    console.error(`read latency with ${int(accounts)} account(s) in the database, ${sizes.length > 1 ? `sizes ${sizes.map((s) => int(s.n)).join(" and ")} in turns` : `N = ${int(sizes[0]!.n)}`}…`);
    const reads = await timeInTurns(sizes, (s) => readKinds(s.service.url, s.service.key, s.campaignIds));
    for (const s of sizes) {
      s.result.byAccounts.push({ accounts: s.accounts, loadMs: loadMs.get(s)!, reads: reads.get(s)! });
      if (level === 0) Object.assign(s.result.reads, reads.get(s)!);
    }
  }
  // New order ids in every run: a kept database still has the last run's.
  const runId = Date.now().toString(36);
  const last = await timeInTurns(sizes, (s) => {
    const rnd = prng(SEED + 2);
    let order = 0;
    const col = s.service.raw.db(s.db.name).collection<{ _id: string }>("email_events");
    const kinds: ReadKind[] = [];
    // A write, but the attribution it makes is a read of the contact's clicks of 7 days.
    if (s.purchases.length > 0)
      kinds.push({
        name: "TrackPurchase (attribution)",
        run: async () => {
          const p = s.purchases[Math.floor(rnd() * s.purchases.length)]!;
          const body = { ...p, amount: 10, currency: "USD", order_id: `bench-${runId}-${order++}` };
          const res = await fetch(`${s.service.url}/api/v1/track/purchase`, {
            method: "POST",
            headers: { authorization: `Bearer ${s.service.key}`, "content-type": "application/json" },
            body: JSON.stringify(body),
          });
          const out = (await res.json()) as { attributed_campaign_id?: string | null };
          if (res.status !== 200 || !out.attributed_campaign_id) throw new Error(`purchase not attributed: ${res.status} ${JSON.stringify(out)}`);
        },
      });
    kinds.push({
      name: "raw findOne by _id",
      run: async () => {
        const id = s.sampleIds[Math.floor(rnd() * s.sampleIds.length)]!;
        const d = await col.findOne({ _id: `p|${ACCOUNT}|${id}` });
        if (!d) throw new Error(`raw event ${id} not found`);
      },
    });
    return kinds;
  });
  for (const s of sizes) Object.assign(s.result.reads, last.get(s)!);
}

/** One round of an ingest row: the time of each side. */
interface Round {
  rawMs: number;
  serviceMs: number;
}

/** A row measured in rounds of `events` events each: times summed, each round's share kept (and printed). */
function pooled(rounds: Round[], events: number, concurrency: number, failures?: string[]): IngestRun {
  const roundShares = rounds.length > 1 ? rounds.map((r) => r.rawMs / r.serviceMs) : undefined;
  if (roundShares) console.error(`  shares by round: ${roundShares.map(pct).join(", ")}`);
  const serviceMs = rounds.reduce((a, r) => a + r.serviceMs, 0);
  const rawMs = rounds.reduce((a, r) => a + r.rawMs, 0);
  return { events: events * rounds.length, concurrency, serviceMs, rawMs, roundShares, failures };
}

/** Rounds a row of `batches` batches is measured in (MIN_INGEST_BATCHES). */
function roundsFor(batches: number): number {
  return Math.max(1, Math.ceil(MIN_INGEST_BATCHES / batches));
}

/**
 * The sequential row's further rounds (roundsFor), each the same batches into another account of
 * a scratch database, so that the size's own database keeps just its dataset for the reads.
 */
async function sequentialRounds(n: number, batches: WireEvent[][]): Promise<Round[]> {
  const more = roundsFor(batches.length) - 1;
  if (more === 0) return [];
  console.error(`sequential ingest: ${more} more rounds (BENCH_MIN_INGEST_BATCHES ${MIN_INGEST_BATCHES}), each into another account…`);
  const db = await openDatabase(`r${n}`);
  try {
    const service = await startService(db);
    try {
      const { url, store, raw } = service;
      await warmUp(store, raw.db(db.name).collection<EmailEventDoc>(RAW_COLLECTION), url, batches);
      const rounds: Round[] = [];
      for (let r = 1; r <= more; r++) {
        const account = `acct_round${r}`;
        const { key } = await store.keys.create(account, ["ingest"], new Date());
        rounds.push(await interleavedIngest(store, raw, db.name, url, key, batches, account));
      }
      return rounds;
    } finally {
      await service.close();
    }
  } finally {
    await db.stop();
  }
}

/** Concurrent ingest of a size: a second fresh database (the first already holds every producer id). */
async function concurrentIngest(s: SizeRun): Promise<void> {
  const part = s.concurrentPart;
  const m = Math.min(s.n, CONCURRENT_MAX);
  if (m < s.n) console.error(`concurrent ingest: first ${int(m)} events only (BENCH_CONCURRENT_MAX)`);
  const cnt = part.reduce((a, b) => a + b.length, 0);
  const db2 = await openDatabase(`c${s.n}`);
  try {
    const service = await startService(db2);
    try {
      const { url, key, store, raw } = service;
      console.error(`concurrent ingest (${CONCURRENCY} batches in flight, ${int(cnt)} events)…`);
      const col = raw.db(db2.name).collection<EmailEventDoc>(RAW_COLLECTION);
      await warmUp(store, col, url, part);
      const failures: string[] = [];
      // Rounds (roundsFor), each into another account on both sides: the raw collection grows
      // round by round as the service's events do.
      const rounds: Round[] = [];
      for (let r = 0; r < roundsFor(part.length); r++) {
        const account = r === 0 ? ACCOUNT : `acct_round${r}`;
        const roundKey = r === 0 ? key : (await store.keys.create(account, ["ingest"], new Date())).key;
        const rawMs = await rawInsert(store, col, part, CONCURRENCY, account);
        const serviceMs = await serviceIngest(store, url, roundKey, part, CONCURRENCY, r === 0, failures, account);
        rounds.push({ rawMs, serviceMs });
      }
      const row = pooled(rounds, cnt, CONCURRENCY, failures);
      console.error(`  service ${int((row.events / row.serviceMs) * 1000)} events/s, raw ${int((row.events / row.rawMs) * 1000)} docs/s, ${failures.length} failed batches`);
      s.result.ingest.push(row);
    } finally {
      await service.close();
    }
  } finally {
    await db2.stop();
  }
}

/** A timed read: `run` makes one request (each call may ask for another range). */
interface ReadKind {
  name: string;
  run: () => Promise<void>;
}

/**
 * Times each read kind on every size in turns, request by request: WARMUP untimed rounds, then
 * READS timed rounds, each round one request per size, the order of the sizes reversed every
 * round (so neither always follows the other). A shared machine's load, which drifts over
 * minutes, then falls on every size alike instead of on whichever size's phase it hit; the
 * latencies themselves are each size's own, as before. `kindsOf` gives each size its own read
 * functions (each with its own generator of ranges, the same sequence on every size).
 */
async function timeInTurns(sizes: SizeRun[], kindsOf: (s: SizeRun) => ReadKind[]): Promise<Map<SizeRun, Record<string, Lat>>> {
  const kinds = new Map(sizes.map((s) => [s, kindsOf(s)] as const));
  const out = new Map(sizes.map((s) => [s, {} as Record<string, Lat>] as const));
  const names = kinds.get(sizes[0]!)!.map((k) => k.name);
  for (const [k, name] of names.entries()) {
    const samples = new Map(sizes.map((s) => [s, [] as number[]] as const));
    for (let i = -WARMUP; i < READS; i++) {
      const order = i % 2 === 0 ? sizes : [...sizes].reverse();
      for (const s of order) {
        const t = performance.now();
        await kinds.get(s)![k]!.run();
        if (i >= 0) samples.get(s)!.push(performance.now() - t);
      }
    }
    for (const s of sizes) out.get(s)![name] = lat(samples.get(s)!);
  }
  return out;
}

/**
 * The reads measured at every size and account count: the overview's presets, ranges cut at
 * random seconds, campaign metrics, time series in two zones, the campaign list and a
 * campaign's links.
 */
function readKinds(url: string, key: string, campaignIds: string[]): ReadKind[] {
  const rnd = prng(SEED + 1);
  const get = (name: string, path: string): ReadKind => ({ name, run: () => getJson(url, key, path).then(() => undefined) });
  return [
    get("GetOverview 7d", "/api/v1/analytics/overview?period=7d"),
    get("GetOverview 30d", "/api/v1/analytics/overview?period=30d"),
    get("GetOverview 90d", "/api/v1/analytics/overview?period=90d"),
    // Ranges cut at random seconds (each request another), so the partial hours at both edges
    // are read too: 1–60 days long, inside the dataset.
    {
      name: "GetOverview from/to to the second",
      run: () => {
        const from = START + Math.floor(rnd() * 29 * DAY) + Math.floor((rnd() * DAY) / 1000) * 1000;
        const to = Math.min(from + Math.floor((rnd() * 60 * DAY) / 1000) * 1000 + DAY, END - 1000);
        const q = `from=${new Date(from).toISOString().slice(0, 19)}Z&to=${new Date(to).toISOString().slice(0, 19)}Z`;
        return getJson(url, key, `/api/v1/analytics/overview?${q}`).then(() => undefined);
      },
    },
    { name: "GetCampaignMetrics", run: () => getJson(url, key, `/api/v1/analytics/campaigns/${campaignIds[Math.floor(rnd() * campaignIds.length)]}`).then(() => undefined) },
    // The dataset's last 90 local days by day in Asia/Kolkata (buckets start at 18:30Z), and its
    // last 30 by hour in Europe/Berlin (720 buckets, across the March DST change).
    get("GetTimeSeries 90d by day, Asia/Kolkata", "/api/v1/analytics/timeseries?interval=day&period=90d&time_zone=Asia/Kolkata"),
    get("GetTimeSeries 30d by hour, Europe/Berlin", "/api/v1/analytics/timeseries?interval=hour&from=2026-03-07&to=2026-04-05&time_zone=Europe/Berlin"),
    // The first page (50) of the account's 500 campaigns, and a campaign's 200 links.
    {
      name: "ListCampaigns first page (500 campaigns)",
      run: async () => {
        const body = (await getJson(url, key, "/api/v1/analytics/campaigns")) as { campaigns: unknown[]; next_page_token: string };
        if (body.campaigns.length !== 50 || body.next_page_token === "") throw new Error(`list: ${body.campaigns.length} campaigns`);
      },
    },
    {
      name: "GetCampaignLinks (200 links)",
      run: async () => {
        const body = (await getJson(url, key, `/api/v1/analytics/campaigns/${LINKS_CAMPAIGN}/links`)) as { total_links: number };
        if (body.total_links !== LINKS) throw new Error(`links: ${body.total_links}`);
      },
    },
  ];
}

/**
 * Adds accounts `acct_other_<from+1>` .. `acct_other_<to>`, each with BENCH_OTHER_EVENTS events
 * over the same 90 days and 5 campaigns, through the service (REST, 4 batches in flight).
 */
async function loadOtherAccounts(url: string, store: Store, from: number, to: number): Promise<number> {
  console.error(`loading accounts ${int(from + 1)}..${int(to)} (${int(OTHER_EVENTS)} events each)…`);
  const t = performance.now();
  let done = 0;
  let lastLog = t;
  const ids = Array.from({ length: to - from }, (_, i) => from + 1 + i);
  await pool(ids, 4, async (i) => {
    const { key } = await store.keys.create(`acct_other_${i}`, ["ingest"], new Date());
    for (const b of chunks(generate(OTHER_EVENTS, SEED + 1000 + i, OTHER_CAMPAIGNS), BATCH)) await postBatch(url, key, b);
    done++;
    if (performance.now() - lastLog > 15_000) {
      lastLog = performance.now();
      console.error(`  … ${int(done)} accounts in ${secs(lastLog - t)}`);
    }
  });
  return performance.now() - t;
}

// ---------------------------------------------------------------------------------------------
// Report

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => pad(r, widths));
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return lines.join("\n");
}

function printSize(r: SizeResult): void {
  console.log(`\n## N = ${int(r.n)} email events (90 days, ${CAMPAIGNS} campaigns; generated in ${secs(r.genMs)})\n`);
  console.log("Ingest (REST POST /api/v1/ingest/email-events, batches of 1,000, vs bare insertMany of the same documents):\n");
  if (r.ingest.length === 0) console.log("(none in this run: the database kept by an earlier run with BENCH_KEEP was reused)");
  else printIngest(r);
  printReads(r);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function printIngest(r: SizeResult): void {
  const ir: string[][] = [["run", "events", "service ev/s", "service time", "raw insertMany docs/s", "raw time", "service/raw", "rounds (each's share)", "errors"]];
  for (const i of r.ingest) {
    const s = (i.events / i.serviceMs) * 1000;
    const w = (i.events / i.rawMs) * 1000;
    ir.push([
      i.concurrency === 1 ? "sequential" : `${i.concurrency} concurrent`,
      int(i.events),
      int(s),
      secs(i.serviceMs),
      int(w),
      secs(i.rawMs),
      `${((s / w) * 100).toFixed(1)}%`,
      i.roundShares ? `${i.roundShares.length} (${pct(Math.min(...i.roundShares))}–${pct(Math.max(...i.roundShares))})` : "1",
      i.failures ? `${i.failures.length} of ${Math.ceil(i.events / BATCH)} batches failed` : "",
    ]);
  }
  console.log(table(ir));
  for (const i of r.ingest) {
    if (!i.failures?.length) continue;
    const kinds = new Map<string, number>();
    for (const f of i.failures) kinds.set(f, (kinds.get(f) ?? 0) + 1);
    console.log(`\n${i.concurrency} concurrent: ${i.failures.length} batches failed (server log has the cause; BENCH_LOG=error shows it):`);
    for (const [f, k] of kinds) console.log(`  ${k}x ${f}`);
  }
}

function printReads(r: SizeResult): void {
  console.log(`\nRead latency (ms; ${READS} sequential requests each after ${WARMUP} warm-up, request by request in turns with the other sizes; REST over keep-alive fetch):\n`);
  const rr: string[][] = [["request", "p50", "p95", "p99", "mean"]];
  for (const [name, l] of Object.entries(r.reads)) rr.push([name, fmt(l.p50), fmt(l.p95), fmt(l.p99), fmt(l.mean)]);
  console.log(table(rr));
  if (r.byAccounts.length > 1) {
    const first = r.byAccounts[0]!;
    const last = r.byAccounts[r.byAccounts.length - 1]!;
    console.log(`\nRead p50 (ms) by accounts in the database (the others loaded in ${r.byAccounts.slice(1).map((b) => secs(b.loadMs)).join(", ")}):\n`);
    const head = ["request", ...r.byAccounts.map((b) => `p50 @${int(b.accounts)} acct`), `ratio ${int(last.accounts)}/${int(first.accounts)}`, "target ≤ 1.2x"];
    const rows: string[][] = [head];
    for (const name of Object.keys(first.reads)) {
      const ratio = last.reads[name]!.p50 / first.reads[name]!.p50;
      rows.push([name, ...r.byAccounts.map((b) => fmt(b.reads[name]!.p50)), `${ratio.toFixed(2)}x`, ratio <= 1.2 ? "met" : "NOT met"]);
    }
    console.log(table(rows));
  }
  console.log(`\nDocuments after ingest: ${r.counts.map((c) => `${c.collection} ${int(c.docs)}`).join(", ")}`);
}

async function databaseInfo(): Promise<string> {
  const db = await openDatabase("info");
  try {
    const c = new MongoClient(db.uri);
    await c.connect();
    try {
      const bi = (await c.db("admin").command({ buildInfo: 1 })) as { version?: string; ferretdbVersion?: string };
      let ferret = "not FerretDB (no buildInfo.ferretdbVersion)";
      if (bi.ferretdbVersion !== undefined) {
        // The embedded wrapper is built with `go install`, which does not stamp FerretDB's version.
        let pinned = "";
        try {
          pinned = /github\.com\/FerretDB\/FerretDB (v[\w.-]+)/.exec(readFileSync(join(ROOT, "tools", "ferretdb", "go.mod"), "utf8"))?.[1] ?? "";
        } catch {
          /* not the embedded build */
        }
        ferret = `FerretDB (buildInfo.ferretdbVersion "${bi.ferretdbVersion}"${pinned ? `; tools/ferretdb/go.mod pins ${pinned}` : ""}), SQLite handler`;
      }
      return `${db.kind}; buildInfo.version ${bi.version}; ${ferret}`;
    } finally {
      await c.close();
    }
  } finally {
    await db.stop();
  }
}

async function main(): Promise<void> {
  const cpu = cpus();
  console.log(`# Misar Analytics benchmark — ${new Date().toISOString()}\n`);
  console.log(`machine:  ${cpu[0]?.model ?? "?"}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(freemem() / 2 ** 30).toFixed(1)} free), ${platform()} ${release()}`);
  console.log(`node:     ${process.version}`);
  console.log(`database: ${await databaseInfo()}`);
  console.log(`sizes:    ${SIZES.map(int).join(", ")} events; seed ${SEED}; server clock pinned to ${NOW.toISOString()}`);
  console.log(`ingest:   count delay ${COUNT_DELAY_MS} ms (COUNT_DELAY_MS)`);
  // Every size is loaded and left running, then their reads are timed in turns (see timeInTurns).
  const sizes: SizeRun[] = [];
  try {
    for (const n of SIZES) sizes.push(await loadSize(n));
    await measureReads(sizes);
  } finally {
    for (const s of sizes) {
      await s.service.close();
      await s.db.stop();
    }
  }
  if (CONCURRENCY > 1) for (const s of sizes) await concurrentIngest(s);
  const results = sizes.map((s) => s.result);
  for (const r of results) printSize(r);
  if (results.length >= 2) {
    const small = results.reduce((a, b) => (a.n <= b.n ? a : b));
    const large = results.reduce((a, b) => (a.n >= b.n ? a : b));
    console.log(`\n## Comparison: N = ${int(large.n)} vs N = ${int(small.n)}\n`);
    const rows: string[][] = [["request", `p50 @${int(small.n)}`, `p50 @${int(large.n)}`, "ratio p50", `p95 @${int(small.n)}`, `p95 @${int(large.n)}`, "ratio p95", "target p50 ≤ 1.2x"]];
    for (const name of Object.keys(large.reads)) {
      const a = small.reads[name]!;
      const b = large.reads[name]!;
      const r50 = b.p50 / a.p50;
      const r95 = b.p95 / a.p95;
      rows.push([name, fmt(a.p50), fmt(b.p50), `${r50.toFixed(2)}x`, fmt(a.p95), fmt(b.p95), `${r95.toFixed(2)}x`, name.startsWith("raw") ? "(baseline)" : r50 <= 1.2 ? "met" : "NOT met"]);
    }
    console.log(table(rows));
  }
  console.log("\nIngest vs raw insertMany (target: at least run 6's share for the same row, 56–71%):");
  for (const r of results) {
    for (const i of r.ingest) {
      const ratio = i.rawMs / i.serviceMs;
      const target = RUN6_SHARE.get(`${r.n}/${i.concurrency}`) ?? RUN6_SHARE_LEAST;
      console.log(`  N=${int(r.n)} ${i.concurrency === 1 ? "sequential" : `${i.concurrency} concurrent`}: ${int((i.events / i.serviceMs) * 1000)} ev/s vs ${int((i.events / i.rawMs) * 1000)} docs/s = ${(ratio * 100).toFixed(1)}%${i.roundShares ? ` over ${i.roundShares.length} rounds` : ""} (target ${(target * 100).toFixed(1)}%) ${ratio >= target ? "met" : "NOT met"}`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
