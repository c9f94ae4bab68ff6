import type { Db } from "mongodb";

/**
 * Which server speaks the wire protocol. Only where FerretDB v1's SQLite backend would scan a
 * collection for a filter MongoDB answers from an index (`$in` on `_id`) does the code differ.
 */
export type Flavor = "mongodb" | "ferretdb";

export async function detectFlavor(db: Db): Promise<Flavor> {
  const info = await db.admin().command({ buildInfo: 1 });
  return "ferretdbVersion" in info || "ferretdbFeatures" in info ? "ferretdb" : "mongodb";
}
