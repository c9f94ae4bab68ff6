import { randomUUID } from "node:crypto";
import type { Collection, Db } from "mongodb";
import type { EmailEventDoc, EmailEventStore } from "./email-events.js";
import type { FirstCandidate, FirstChange, FirstMarkStore } from "./first-marks.js";
import type { CampaignDelta, HourDelta, RollupStore } from "./rollups.js";
import type { Flavor } from "./flavor.js";
import { prepareCollection } from "./indexes.js";
import { HOUR_MS, floorHour, type Counts, type EmailEventInput } from "./types.js";

/** `ingest_batches`: a journal entry per batch whose rollups are not yet known to be applied. */
interface BatchDoc {
  _id: string;
  a: string;
  at: Date;
}

export interface RecordResult {
  accepted: number;
  duplicates: number;
}

/** Test hook: stop a batch after its raw events are stored, as a crash would. */
export type CrashPoint = "after-raw" | undefined;

/**
 * Stores email events and keeps the rollups in step.
 *
 * A batch is: journal entry -> raw events (deduplicated by producer id) -> first-open/click
 * marks -> rollup increments -> journal entry removed. Retries are exact because a producer id
 * is stored once, ever, and only newly stored events are counted. A crash between the raw write
 * and the rollups leaves the journal entry behind; `repair()` then rebuilds that account's
 * rollups from its raw events, which are the source of truth.
 */
export class EmailIngest {
  private readonly batches: Collection<BatchDoc>;
  private queue: Promise<unknown> = Promise.resolve();
  constructor(
    db: Db,
    private readonly flavor: Flavor,
    private readonly events: EmailEventStore,
    private readonly marks: FirstMarkStore,
    private readonly rollups: RollupStore,
  ) {
    this.batches = db.collection<BatchDoc>("ingest_batches");
  }

  async ensureIndexes(flavor: Flavor): Promise<void> {
    await prepareCollection(this.batches, flavor);
  }

  async record(account: string, input: EmailEventInput[], now: Date, crash?: CrashPoint): Promise<RecordResult> {
    if (this.flavor === "mongodb") return this.recordBatch(account, input, now, crash);
    // FerretDB's SQLite backend has one writer at a time and answers a second with SQLITE_BUSY
    // rather than waiting: batches take turns in this process (its embedded database is ours).
    const turn = this.queue.then(() => this.recordBatch(account, input, now, crash));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async recordBatch(account: string, input: EmailEventInput[], now: Date, crash?: CrashPoint): Promise<RecordResult> {
    const batch = randomUUID();
    await this.batches.insertOne({ _id: batch, a: account, at: now });
    const docs = this.events.toDocs(account, batch, input);
    const inserted = (await this.events.insertNew(docs)).map((i) => docs[i]!);
    if (crash === "after-raw") throw new Error("simulated crash after the raw write");
    await this.count(account, inserted);
    await this.batches.deleteOne({ _id: batch });
    return { accepted: inserted.length, duplicates: docs.length - inserted.length };
  }

  /** Rebuilds the rollups of every account that has a batch older than `olderThanMs` left over. */
  async repair(now: Date, olderThanMs: number): Promise<string[]> {
    const stale = await this.batches.find({ at: { $lte: new Date(now.getTime() - olderThanMs) } }).toArray();
    const accounts = [...new Set(stale.map((b) => b.a))];
    for (const a of accounts) await this.rebuild(a);
    if (stale.length) await this.batches.deleteMany({ _id: { $in: stale.map((b) => b._id) } });
    return accounts;
  }

  /**
   * Re-derives an account's rollups and marks from its raw events by replaying them through
   * the same counting path. Run it while no batch for the account is in flight.
   */
  async rebuild(account: string): Promise<void> {
    await this.rollups.clearAccount(account);
    await this.marks.clearAccount(account);
    // In time order, so that each message's first open/click is met first and never moves. In
    // pages rather than one cursor: an open cursor would hold FerretDB's SQLite transaction (and
    // with it the write lock) while the pages are counted.
    const PAGE = 5000;
    let after: { ts: Date; _id: string } | undefined;
    for (;;) {
      const filter = after
        ? { a: account, $or: [{ ts: { $gt: after.ts } }, { ts: after.ts, _id: { $gt: after._id } }] }
        : { a: account };
      const page = await this.events.col.find(filter).sort({ ts: 1, _id: 1 }).limit(PAGE).toArray();
      if (page.length === 0) break;
      await this.count(account, page);
      const last = page[page.length - 1]!;
      after = { ts: last.ts, _id: last._id };
      if (page.length < PAGE) break;
    }
  }

  /** Counts newly stored events into the marks and rollups. */
  private async count(account: string, docs: EmailEventDoc[]): Promise<void> {
    if (docs.length === 0) return;
    const candidates: FirstCandidate[] = [];
    for (const d of docs) {
      if (d.k === "open" || d.k === "click") candidates.push({ campaignId: d.c, email: d.e, kind: d.k, ts: d.ts });
    }
    const changes = await this.marks.apply(account, candidates);
    const { hours, campaigns } = deltas(docs, changes);
    await this.rollups.apply(account, hours, campaigns);
  }
}

/** Turns stored events and first-open/click changes into rollup increments. */
export function deltas(docs: EmailEventDoc[], changes: FirstChange[]): { hours: HourDelta[]; campaigns: CampaignDelta[] } {
  const hours = new Map<number, Partial<Counts>>();
  const campaigns = new Map<string, CampaignDelta>();
  const bump = (hourMs: number, key: keyof Counts, by: number) => {
    const c = hours.get(hourMs) ?? {};
    c[key] = (c[key] ?? 0) + by;
    hours.set(hourMs, c);
  };
  for (const d of docs) {
    const h = d.h.getTime();
    bump(h, d.k, 1);
    if (d.k === "bounce" && d.bt) bump(h, d.bt, 1);
    if (d.c === "") continue;
    let cd = campaigns.get(d.c);
    if (!cd) {
      cd = { campaignId: d.c, counts: {}, timeline: new Map() };
      campaigns.set(d.c, cd);
    }
    cd.counts[d.k] = (cd.counts[d.k] ?? 0) + 1;
    if (d.k === "bounce" && d.bt) cd.counts[d.bt] = (cd.counts[d.bt] ?? 0) + 1;
    if (d.k === "send" && (!cd.firstSend || d.ts < cd.firstSend)) cd.firstSend = d.ts;
    if (d.k === "open" || d.k === "click") {
      const eh = h / HOUR_MS;
      const t = cd.timeline.get(eh) ?? { o: 0, c: 0 };
      if (d.k === "open") t.o++;
      else t.c++;
      cd.timeline.set(eh, t);
    }
  }
  for (const ch of changes) {
    const key = ch.kind === "open" ? "uopen" : "uclick";
    bump(floorHour(ch.ts.getTime()), key, 1);
    if (ch.previous) bump(floorHour(ch.previous.getTime()), key, -1);
  }
  return {
    hours: [...hours].map(([h, counts]) => ({ hour: new Date(h), counts })),
    campaigns: [...campaigns.values()],
  };
}
