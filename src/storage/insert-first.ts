import type { AnyBulkWriteOperation, Collection, Filter, OptionalUnlessRequiredId, UpdateFilter } from "mongodb";
import { insertNew } from "./insert-new.js";

/** One document's write: inserted whole the first time, updated in place after that. */
export interface InsertOrUpdate<T extends { _id: string }> {
  /** The document as it is when this is its first write. */
  doc: T;
  /** The update when it exists already (`{}`: nothing to change). */
  update: UpdateFilter<T>;
}

/**
 * Writes documents insert-first, remembering which `_id`s it has seen exist (per collection, up
 * to `max` each, about 100 bytes apiece). A document known to exist gets its update; any other
 * is first inserted as it would be after this write (one unordered insertMany), and only those
 * that existed after all are then updated (unordered bulk writes). Concurrent writers racing to
 * create a document cannot fail: the loser's insert collides and it updates instead. A known
 * document found missing (another instance's rebuild deleted it) is inserted again. Upserts
 * cannot build documents whose counters are arrays, and on FerretDB's SQLite backend an insert
 * costs far less than an update (its own transaction, the whole document decoded and rewritten).
 */
export class InsertFirstWriter {
  private readonly existing = new Map<string, Set<string>>();
  /** `bulkMax`: updates per bulk write (`Capabilities.bulkMax`). */
  constructor(
    private readonly max: number,
    private readonly bulkMax: number,
  ) {}

  async write<T extends { _id: string }>(col: Collection<T>, items: InsertOrUpdate<T>[]): Promise<void> {
    let existing = this.existing.get(col.collectionName);
    if (!existing) this.existing.set(col.collectionName, (existing = new Set()));
    const rest: InsertOrUpdate<T>[] = [];
    for (const item of items) {
      const known = existing.has(item.doc._id);
      if (known && Object.keys(item.update).length === 0) continue;
      // One at a time: every update takes FerretDB's single SQLite writer anyway.
      if (known && (await col.updateOne({ _id: item.doc._id } as Filter<T>, item.update)).matchedCount === 1) continue;
      existing.delete(item.doc._id);
      rest.push(item);
    }
    if (rest.length === 0) return;
    const existed = await insertNew(col, rest.map((i) => i.doc) as OptionalUnlessRequiredId<T>[]);
    const ops = [...existed]
      .filter((i) => Object.keys(rest[i]!.update).length > 0)
      .map((i) => ({ updateOne: { filter: { _id: rest[i]!.doc._id } as Filter<T>, update: rest[i]!.update } }));
    for (let i = 0; i < ops.length; i += this.bulkMax) {
      await col.bulkWrite(ops.slice(i, i + this.bulkMax) as AnyBulkWriteOperation<T>[], { ordered: false });
    }
    if (existing.size + rest.length > this.max) existing.clear();
    for (const i of rest) existing.add(i.doc._id);
  }

  /** Forgets every remembered `_id` that starts with `prefix` (before their documents are deleted). */
  forget(prefix: string): void {
    for (const ids of this.existing.values()) for (const id of ids) if (id.startsWith(prefix)) ids.delete(id);
  }
}
