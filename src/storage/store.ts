import { randomUUID } from "node:crypto";
import { MongoClient, type Db } from "mongodb";
import { AccountLeases } from "./account-leases.js";
import { IngestJournal } from "./ingest-journal.js";
import { ApiKeyStore } from "./api-keys.js";
import { Availability } from "./availability.js";
import { detectCapabilities, type Capabilities } from "./capabilities.js";
import { CampaignLinkStore } from "./campaign-links.js";
import { CampaignListStore } from "./campaign-list.js";
import { CampaignStore } from "./campaigns.js";
import { ContactClickStore } from "./contact-clicks.js";
import { EmailEventStore } from "./email-events.js";
import { EmailIngest, type DiePoint } from "./email-ingest.js";
import { FirstMarkStore } from "./first-marks.js";
import { PurchaseStore } from "./purchases.js";
import { RollupStore } from "./rollups.js";
import { TrackEventStore } from "./track-events.js";

export interface StoreOptions {
  /** How long a journal entry or lease outlives its last renewal (a dead writer's are repaired after that). */
  leaseTtlMs?: number;
  /** How long counting may trail a batch's 200 (config.countDelayMs; default 0: counted before it). */
  countDelayMs?: number;
  /** Test hook: SIGKILL this process the nth time an ingest write reaches this step (config.dieAt). */
  dieAt?: { point: DiePoint; nth: number };
}

export const DEFAULT_LEASE_TTL_MS = 5000;

/** Every collection module over one database connection. */
export class Store {
  readonly keys: ApiKeyStore;
  readonly campaigns: CampaignStore;
  readonly emailEvents: EmailEventStore;
  readonly marks: FirstMarkStore;
  readonly rollups: RollupStore;
  readonly clicks: ContactClickStore;
  readonly ingest: EmailIngest;
  readonly trackEvents: TrackEventStore;
  readonly purchases: PurchaseStore;
  readonly links: CampaignLinkStore;
  readonly campaignList: CampaignListStore;
  /** Whether the database is up, as the embedded database's supervisor sees it. */
  readonly availability = new Availability();

  private constructor(
    private readonly client: MongoClient,
    readonly db: Db,
    /** What the database can do; the storage code differs between databases only through it. */
    readonly caps: Capabilities,
    opts: StoreOptions,
  ) {
    this.keys = new ApiKeyStore(db);
    this.campaigns = new CampaignStore(db);
    this.emailEvents = new EmailEventStore(db);
    this.marks = new FirstMarkStore(db);
    this.rollups = new RollupStore(db, caps);
    this.clicks = new ContactClickStore(db, caps);
    this.trackEvents = new TrackEventStore(db);
    this.purchases = new PurchaseStore(db);
    this.links = new CampaignLinkStore(db, caps);
    this.campaignList = new CampaignListStore(db, caps);
    // One id per process: journal entries and leases name their writer.
    const owner = randomUUID();
    const ttl = opts.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    // A lease is kept for a quarter of the ttl after a batch, for the account's next batch. Not
    // where several instances may write while counting trails the 200: a read on one instance
    // waits for the other's counting, which would wait for the lease kept here (until this
    // process's next renewal: 503 for any LEASE_TTL_MS past ~7 s), and a count delay apart, a
    // kept lease is seldom used again anyway.
    const keepMs = caps.concurrentWriters && (opts.countDelayMs ?? 0) > 0 ? 0 : ttl / 4;
    this.ingest = new EmailIngest(
      caps,
      this.emailEvents,
      this.marks,
      this.rollups,
      this.clicks,
      this.links,
      this.campaignList,
      this.purchases,
      new IngestJournal(db, owner, ttl),
      new AccountLeases(db, owner, ttl, caps, keepMs),
      this.campaigns,
      { countDelayMs: opts.countDelayMs, dieAt: opts.dieAt, db },
    );
  }

  /** Connects and creates the indexes (idempotent). */
  static async open(uri: string, database: string, opts: StoreOptions = {}): Promise<Store> {
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000, appName: "misar-analytics" });
    await client.connect();
    const db = client.db(database);
    const store = new Store(client, db, await detectCapabilities(db), opts);
    await store.ensureIndexes();
    return store;
  }

  async ensureIndexes(): Promise<void> {
    for (const s of [this.keys, this.campaigns, this.emailEvents, this.marks, this.rollups, this.clicks, this.ingest, this.trackEvents, this.purchases, this.links, this.campaignList]) {
      await s.ensureIndexes(this.caps);
    }
  }

  /** True when the database answers a ping. */
  async ping(): Promise<boolean> {
    if (this.availability.down !== undefined) return false;
    try {
      await this.db.command({ ping: 1 }, { timeoutMS: 2000 });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Waits until the database answers a ping again (after its process was restarted) and marks
   * it up; gives up after `maxMs`, leaving it down.
   */
  async waitReachable(maxMs = 30_000): Promise<boolean> {
    const until = Date.now() + maxMs;
    while (Date.now() < until) {
      try {
        await this.db.command({ ping: 1 }, { timeoutMS: 1000 });
        this.availability.markUp();
        return true;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return false;
  }

  async close(): Promise<void> {
    await this.ingest.close(0);
    await this.client.close();
  }
}
