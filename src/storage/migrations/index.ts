import type { Collection } from "mongodb";
import { AccountLocks } from "../account-locks.js";
import type { Store } from "../store.js";
import { m002 } from "./002-seconds-and-click-days.js";
import { m003 } from "./003-day-spans.js";
import { m004 } from "./004-hour-quarters.js";
import { m005 } from "./005-people-links-revenue.js";
import { m006 } from "./006-link-pages.js";
import { m007 } from "./007-list-pages.js";
import { m008 } from "./008-packed-counters.js";
import { m009 } from "./009-fold-packed.js";
import { m010 } from "./010-hour-grids.js";
import { m011 } from "./011-dense-seconds.js";
import { m012 } from "./012-marks-layout-2.js";
import type { Migration } from "./migration.js";

/**
 * Every step of the derived data's version, in order. Version 1 is the first rollups; a database
 * whose version is unknown (raw events but no `schema_meta`) is rebuilt whole. Add a step in its
 * own file (`NNN-what.ts`) when a change needs existing derived data changed or filled; a new
 * counter that may read as 0 for old data needs none.
 */
export const MIGRATIONS: readonly Migration[] = [m002, m003, m004, m005, m006, m007, m008, m009, m010, m011, m012];

/** The version this build writes. */
export const ROLLUP_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** `schema_meta`, document `rollups`: the version of what is derived from the raw events. */
interface SchemaMetaDoc {
  _id: "rollups";
  v: number;
}

/**
 * The database's derived data is at a version newer than this build's: a newer build migrated
 * it (steps 6 and 7 moved data to new collections), and this one would write the shapes the
 * newer one no longer reads (and recreate collections it dropped). It must not start.
 */
export class NewerDataError extends Error {
  constructor(readonly stored: number) {
    super(
      `the database's derived data is at version ${stored}, newer than this build's version ${ROLLUP_VERSION}: ` +
        `a newer build of misar-analytics has migrated it; run that build (or a later one), not this older one`,
    );
  }
}

export interface MigrationOutcome {
  from: number | undefined;
  steps: string[];
  /** Accounts queued for a rebuild from raw events (the next `repair()` does it). */
  rebuild: string[];
}

/**
 * The lock (in `account_write_locks`, taken by a unique insert, so one taker wins on every
 * database, atomic updates or not) that lets one process at a time migrate: the in-place steps
 * clear and add up again, so two instances starting together on an old database would count
 * everything twice. Account ids never hold a `|` (`src/cli/keys.ts`), so it names no account.
 */
export const MIGRATION_LOCK = "|migrations";

/**
 * Brings the derived data to ROLLUP_VERSION, step by step, recording the version after each
 * (so a crash resumes at the step it interrupted), under MIGRATION_LOCK: a second instance
 * waits, then finds the version current and does nothing. Steps that need a rebuild queue the
 * accounts through the repair journal (a crash in between leaves the entries for the next
 * start); the repair loop does them. Run at startup, before serving.
 */
export async function migrate(store: Store): Promise<MigrationOutcome> {
  const meta: Collection<SchemaMetaDoc> = store.db.collection<SchemaMetaDoc>("schema_meta");
  const doc = await meta.findOne({ _id: "rollups" });
  if (doc && doc.v > ROLLUP_VERSION) throw new NewerDataError(doc.v);
  if (doc && doc.v === ROLLUP_VERSION) return { from: doc.v, steps: [], rebuild: [] };
  return new AccountLocks(store.db).with([MIGRATION_LOCK], (stillHeld) => migrateHeld(store, meta, stillHeld));
}

async function migrateHeld(store: Store, meta: Collection<SchemaMetaDoc>, stillHeld: () => Promise<void>): Promise<MigrationOutcome> {
  // Read again under the lease: another instance may have migrated while this one waited.
  const doc = await meta.findOne({ _id: "rollups" });
  const out: MigrationOutcome = { from: doc?.v, steps: [], rebuild: [] };
  if (doc && doc.v > ROLLUP_VERSION) throw new NewerDataError(doc.v);
  if (doc && doc.v === ROLLUP_VERSION) return out;
  const setVersion = (v: number) => meta.updateOne({ _id: "rollups" }, { $set: { v } }, { upsert: true });
  const everyAccount = () => store.emailEvents.accounts();
  if (!doc) {
    // Unknown version: rebuild whatever exists (a fresh database has no accounts to rebuild).
    out.rebuild = await everyAccount();
    await store.ingest.queueRebuild(out.rebuild, `v${ROLLUP_VERSION}`);
    await setVersion(ROLLUP_VERSION);
    return out;
  }
  const queued = new Set<string>();
  for (const m of MIGRATIONS) {
    if (m.version <= doc.v) continue;
    await stillHeld();
    const r = await m.run(store, stillHeld);
    const accounts = r === "all" ? await everyAccount() : r;
    await store.ingest.queueRebuild(accounts, `v${m.version}`);
    // Recorded only while still the migrator: a lost lock leaves the step to run again.
    await stillHeld();
    for (const a of accounts) queued.add(a);
    await setVersion(m.version);
    out.steps.push(`${m.version}: ${m.what}`);
  }
  out.rebuild = [...queued];
  return out;
}
