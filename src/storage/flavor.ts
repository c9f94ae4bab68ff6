import type { Db } from "mongodb";

/**
 * Which server speaks the wire protocol. The code differs in two places only: FerretDB gets no
 * non-unique indexes (its SQLite backend uses none; see indexes.ts) and its ingest batches take
 * turns (its SQLite backend answers a second writer with SQLITE_BUSY; see email-ingest.ts).
 */
export type Flavor = "mongodb" | "ferretdb";

export async function detectFlavor(db: Db): Promise<Flavor> {
  const info = await db.admin().command({ buildInfo: 1 });
  return "ferretdbVersion" in info || "ferretdbFeatures" in info ? "ferretdb" : "mongodb";
}
