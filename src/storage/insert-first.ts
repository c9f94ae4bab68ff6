import { MongoBulkWriteError, type AnyBulkWriteOperation, type Collection, type Filter, type OptionalUnlessRequiredId, type UpdateFilter } from "mongodb";
import type { Capabilities } from "./capabilities.js";
import { insertNew } from "./insert-new.js";
import { DUPLICATE_KEY } from "./duplicate-key.js";

/**
 * One document's write: inserted whole the first time, updated in place after that. `doc` must
 * be what `update` makes of a document holding only doc's other fields (the update's operators
 * are `$inc`, `$push`, `$min`, which start from nothing), so that an upsert builds it too.
 */
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
 * that existed after all are then updated (unordered bulk writes). Known documents are updated
 * in bulk too, which needs the writer alone with them (see updateKnown); a single document is
 * updated by itself, the cheaper form for one. Concurrent writers racing to
 * create a document cannot fail: the loser's insert collides and it updates instead. A known
 * document found missing (another instance's rebuild deleted it) is inserted again. Upserts
 * cannot build documents whose counters are arrays, and on FerretDB's SQLite backend an insert
 * costs far less than an update (its own transaction, the whole document decoded and rewritten).
 */
export class InsertFirstWriter {
  private readonly existing = new Map<string, Set<string>>();
  constructor(
    private readonly max: number,
    private readonly caps: Pick<Capabilities, "bulkMax" | "counterWrites">,
  ) {}

  async write<T extends { _id: string }>(col: Collection<T>, items: InsertOrUpdate<T>[]): Promise<void> {
    if (this.caps.counterWrites === "upsert") return this.upsert(col, items);
    let existing = this.existing.get(col.collectionName);
    if (!existing) this.existing.set(col.collectionName, (existing = new Set()));
    const rest: InsertOrUpdate<T>[] = [];
    const known: InsertOrUpdate<T>[] = [];
    for (const item of items) {
      if (!existing.has(item.doc._id)) rest.push(item);
      else if (Object.keys(item.update).length > 0) known.push(item);
    }
    for (const item of await this.updateKnown(col, known)) {
      existing.delete(item.doc._id);
      rest.push(item);
    }
    if (rest.length === 0) return;
    const existed = await insertNew(col, rest.map((i) => i.doc) as OptionalUnlessRequiredId<T>[]);
    const ops = [...existed]
      .filter((i) => Object.keys(rest[i]!.update).length > 0)
      .map((i) => ({ updateOne: { filter: { _id: rest[i]!.doc._id } as Filter<T>, update: rest[i]!.update } }) as AnyBulkWriteOperation<T>);
    await this.bulk(col, ops);
    if (existing.size + rest.length > this.max) existing.clear();
    for (const i of rest) existing.add(i.doc._id);
  }

  /**
   * Updates documents remembered as existing and returns those that were not there after all
   * (another instance's rebuild deleted them). In unordered bulk writes of at most `bulkMax`
   * rather than one command each: on FerretDB every command is a round trip and a turn of its
   * single SQLite writer (five updates took 14.5 ms one by one, 7.9 ms as one bulk). A bulk's
   * result counts the matches but does not say which, so when one is short each of its
   * documents is looked up by `_id`: the caller is the only writer that creates or deletes them
   * meanwhile (derived documents are written under the account's lease), so a document found is
   * one the update matched, and one missing is still to be inserted whole.
   */
  private async updateKnown<T extends { _id: string }>(col: Collection<T>, items: InsertOrUpdate<T>[]): Promise<InsertOrUpdate<T>[]> {
    if (items.length === 1) {
      const [item] = items as [InsertOrUpdate<T>];
      return (await col.updateOne({ _id: item.doc._id } as Filter<T>, item.update)).matchedCount === 1 ? [] : [item];
    }
    const missing: InsertOrUpdate<T>[] = [];
    for (let i = 0; i < items.length; i += this.caps.bulkMax) {
      const slice = items.slice(i, i + this.caps.bulkMax);
      const ops = slice.map((it) => ({ updateOne: { filter: { _id: it.doc._id } as Filter<T>, update: it.update } }) as AnyBulkWriteOperation<T>);
      const r = await col.bulkWrite(ops, { ordered: false });
      if (r.matchedCount === slice.length) continue;
      for (const it of slice) if (!(await col.findOne({ _id: it.doc._id } as Filter<T>, { projection: { _id: 1 } }))) missing.push(it);
    }
    return missing;
  }

  /**
   * The form for databases where an update costs about what an insert does (`counterWrites:
   * "upsert"`: MongoDB): every item as an upsert in unordered bulk writes, whose `$setOnInsert`
   * carries the document's fields the update does not touch, so a missing document is created
   * as `doc` and an existing one updated, in one command and no memory of what exists. Two
   * writers upserting one new `_id` at once may lose the race with a duplicate key error (MongoDB
   * retries that itself; FerretDB does not): those are sent again, and find the document.
   */
  private async upsert<T extends { _id: string }>(col: Collection<T>, items: InsertOrUpdate<T>[]): Promise<void> {
    const ops = items.map(({ doc, update }) => {
      const touched = new Set(Object.values(update).flatMap((fields: object) => Object.keys(fields).map((path) => path.split(".")[0]!)));
      const onInsert = Object.fromEntries(Object.entries(doc).filter(([k]) => k !== "_id" && !touched.has(k)));
      const full = Object.keys(onInsert).length ? { ...update, $setOnInsert: onInsert } : update;
      return { updateOne: { filter: { _id: doc._id } as Filter<T>, update: full as UpdateFilter<T>, upsert: true } };
    });
    const lost = await this.bulk(col, ops, true);
    if (lost.length) await this.bulk(col, lost);
  }

  /**
   * Sends update operations in unordered bulk writes of at most `bulkMax`. With `collect`, an
   * operation that failed on a duplicate key is returned rather than thrown.
   */
  private async bulk<T extends { _id: string }>(col: Collection<T>, ops: AnyBulkWriteOperation<T>[], collect = false): Promise<AnyBulkWriteOperation<T>[]> {
    const lost: AnyBulkWriteOperation<T>[] = [];
    for (let i = 0; i < ops.length; i += this.caps.bulkMax) {
      const slice = ops.slice(i, i + this.caps.bulkMax);
      try {
        await col.bulkWrite(slice, { ordered: false });
      } catch (err) {
        if (!collect || !(err instanceof MongoBulkWriteError)) throw err;
        const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
        for (const e of errors) {
          if (e.code !== DUPLICATE_KEY) throw err;
          lost.push(slice[e.index]!);
        }
      }
    }
    return lost;
  }

  /**
   * Notes documents of `col` that exist now, written by other means (an insert of their own):
   * their next write is an update, sent with the other known documents' updates, rather than an
   * insert that collides and an update after it.
   */
  exists(col: Pick<Collection, "collectionName">, ids: readonly string[]): void {
    if (this.caps.counterWrites === "upsert" || ids.length === 0) return;
    let existing = this.existing.get(col.collectionName);
    if (!existing) this.existing.set(col.collectionName, (existing = new Set()));
    if (existing.size + ids.length > this.max) existing.clear();
    for (const id of ids) existing.add(id);
  }

  /** Forgets every remembered `_id` that starts with `prefix` (before their documents are deleted). */
  forget(prefix: string): void {
    if (prefix === "") return this.existing.clear();
    for (const ids of this.existing.values()) for (const id of ids) if (id.startsWith(prefix)) ids.delete(id);
  }
}
