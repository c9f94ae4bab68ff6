import { randomBytes } from "node:crypto";
import { afterAll, inject } from "vitest";
import { Store } from "../../src/storage/store.js";

/**
 * Two stores on one fresh database, as two service instances would have (each its own
 * connection, leases, memories), closed after the file's tests.
 */
export function twoStoresPerFile(leaseTtlMs: number): () => Promise<[Store, Store]> {
  const stores: Store[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close().catch(() => undefined);
  });
  return async () => {
    const name = `t_${randomBytes(6).toString("hex")}`;
    const a = await Store.open(inject("mongoUri"), name, { leaseTtlMs });
    const b = await Store.open(inject("mongoUri"), name, { leaseTtlMs });
    stores.push(a, b);
    return [a, b];
  };
}
