import type { Collection, Filter, UpdateFilter } from "mongodb";
import type { InsertOrUpdate } from "./insert-first.js";

/**
 * Counters packed in strings, for the rollup documents a read fetches many of or that hold many
 * counters (a day's hours, an hour's quarters, a campaign's hourly timeline). Why: FerretDB
 * decodes every number field of a document it reads (~5–7 µs each on the SQLite backend,
 * measured: a document of 400 counters costs ~3 ms of its CPU, one of 1,600 ~9 ms), but a
 * string of the same 1,600 numbers costs about what an empty document does (~0.4 ms). A day
 * whose every hour has events would make its numeric document 3× dearer than a quiet day's;
 * packed, a read costs about the same at any traffic.
 *
 * A document holds its counters as chunks, `p: ["open07:3,send07:10", "open07:-1,…"]`, each
 * entry a counter key and an integer (negative when a first open or click moved away), summed
 * on read. A write appends one chunk (`$push`: no read, no number decoded or rewritten, and the
 * chunks of one write are the document's whole content the first time, so it is inserted as is).
 * Chunks pile up with every write, so the writer folds a document's chunks into one after every
 * COMPACT_EVERY of its own appends (see PackedCompactor): a read fetches a bounded list.
 */
export interface PackedDoc {
  _id: string;
  /** The account (clearing an account's rollups deletes by it). */
  a: string;
  /** Chunks of `key:n` entries joined by commas; the counters are their sums. */
  p: string[];
  /** Folds so far: a fold applies only to the chunks it read (see PackedCompactor.fold). */
  g: number;
}

/** A writer's appends to one document between two folds of it. */
export const COMPACT_EVERY = 16;

/** An integer counter: a number while it is a safe integer, else a BigInt (money sums can pass 2^53). */
export type Count = number | bigint;

/** `counts`' nonzero entries as one chunk (`""` when there are none), exact at any size. */
export function pack(counts: Iterable<[string, Count]>): string {
  const out: string[] = [];
  for (const [k, v] of counts) {
    if (typeof v === "number" && !Number.isSafeInteger(v)) throw new Error(`packed counter ${k} must be a safe integer, got ${v}`);
    if (v !== 0 && v !== 0n) out.push(`${k}:${v}`);
  }
  return out.join(",");
}

/** A count's text as a Count: 15 digits and a sign are always a safe integer; longer ones are read exactly. */
export function countOf(text: string): Count {
  return text.length > 15 ? BigInt(text) : Number(text);
}

/** `a + b`, exact: a number while the sum is a safe integer, else a BigInt. */
export function plus(a: Count, b: Count): Count {
  if (typeof a === "number" && typeof b === "number") {
    const sum = a + b;
    if (Number.isSafeInteger(sum)) return sum;
  }
  return BigInt(a) + BigInt(b);
}

/** The counters of a document's chunks, summed by key (zeros left out), exact at any size. */
export function unpack(chunks: readonly string[] | undefined): Map<string, Count> {
  const out = new Map<string, Count>();
  const add = (k: string, n: Count) => {
    const was = out.get(k);
    out.set(k, was === undefined ? n : plus(was, n));
  };
  for (const chunk of chunks ?? []) {
    if (chunk === "") continue;
    if (isGrid(chunk)) {
      // `open=3..12`: `open0:3`, `open2:12` (indexes as wide as the last one).
      for (const entry of chunk.split(",")) {
        const eq = entry.indexOf("=");
        const values = entry.slice(eq + 1).split(".");
        const digits = String(values.length - 1).length;
        values.forEach((text, i) => {
          if (text !== "") add(`${entry.slice(0, eq)}${String(i).padStart(digits, "0")}`, countOf(text));
        });
      }
      continue;
    }
    for (const entry of chunk.split(",")) {
      const at = entry.lastIndexOf(":");
      const k = entry.slice(0, at);
      add(k, countOf(entry.slice(at + 1)));
    }
  }
  for (const [k, v] of out) if (v === 0 || v === 0n) out.delete(k);
  return out;
}

/**
 * Counters by index (a day's 24 hours, an hour's 4 quarters) as a document's fold writes them:
 * one entry per counter, its values by index separated by dots, empty for 0 (`open=3..12` is
 * `open0:3,open2:12` of 3 indexes). A busy day's hours take half the text of one entry per
 * counter and hour (~1.0 KB against 2.0 KB in the benchmark's 10^6 dataset), and FerretDB's
 * CPU per read grows with a document's text (~80 µs per KB measured); a quiet day's take about
 * what they did. Appended chunks stay `key:n` entries: a chunk is one form or the other.
 */
export interface Grid extends FoldForm {
  /** Width of the index in the `key:n` form (`open07`: 2). */
  digits: number;
  /** Values per counter. */
  n: number;
}

/** The grid form of `n` values per counter whose `key:n` keys end in a `digits`-wide index. */
export function grid(digits: number, n: number): Grid {
  return { digits, n, fold: (chunks) => packGrid(unpackBySuffix(chunks, digits, n)), isFolded: isGrid };
}

/**
 * How a collection's chunks fold into one (see fold). By default (KEYED) they are summed by key
 * into one chunk of `key:n` entries; a collection may fold into a denser text (a Grid, an
 * hour's seconds: see second-counts.ts), which its reader parses along with appended chunks.
 */
export interface FoldForm {
  /** One chunk holding the sums of `chunks`. */
  fold(chunks: readonly string[]): string;
  /** Whether a document's lone chunk is already as `fold` writes it (else a migration folds it). */
  isFolded(chunk: string): boolean;
}

/** Chunks summed by key into one chunk of `key:n` entries. */
export const KEYED: FoldForm = { fold: (chunks) => pack(unpack(chunks)), isFolded: () => true };

/** Whether a chunk is in the grid form (its entries hold `=`, which no counter name does). */
function isGrid(chunk: string): boolean {
  return chunk.includes("=");
}

/** Counters by index (as unpackBySuffix gives them) as one grid chunk (`""` when all are 0). */
export function packGrid(slots: readonly Record<string, Count>[]): string {
  const names = new Set<string>();
  for (const slot of slots) for (const k in slot) if (slot[k] !== 0 && slot[k] !== 0n) names.add(k);
  const out: string[] = [];
  for (const name of names) {
    const values = slots.map((slot) => {
      const v = slot[name];
      if (typeof v === "number" && !Number.isSafeInteger(v)) throw new Error(`packed counter ${name} must be a safe integer, got ${v}`);
      return v === undefined || v === 0 || v === 0n ? "" : String(v);
    });
    out.push(`${name}=${values.join(".")}`);
  }
  return out.join(",");
}

/**
 * Packed counters keyed `<counter><index>` (the index `digits` wide, below `n`), summed by key
 * and split into `n` counters by index (`open07` is `open` of index 7; zeros left out): the
 * sums of `unpack`, in one pass over the text, with no map of every key and no key cut twice.
 * A 90-day series parses ~16,000 such entries at a busy account's traffic.
 */
export function unpackBySuffix(chunks: readonly string[] | undefined, digits: number, n: number): Record<string, Count>[] {
  const out: Record<string, Count>[] = Array.from({ length: n }, () => ({}));
  const add = (i: number, name: string, text: string) => {
    const v = countOf(text);
    const slot = out[i]!;
    const was = slot[name];
    slot[name] = was === undefined ? v : plus(was, v);
  };
  for (const chunk of chunks ?? []) {
    const len = chunk.length;
    let start = 0;
    if (isGrid(chunk)) {
      while (start < len) {
        let end = chunk.indexOf(",", start);
        if (end < 0) end = len;
        const eq = chunk.indexOf("=", start);
        const name = chunk.slice(start, eq);
        let i = 0;
        let from = eq + 1;
        while (from <= end) {
          let dot = chunk.indexOf(".", from);
          if (dot < 0 || dot > end) dot = end;
          if (dot > from) add(i, name, chunk.slice(from, dot));
          i++;
          from = dot + 1;
        }
        start = end + 1;
      }
      continue;
    }
    while (start < len) {
      let end = chunk.indexOf(",", start);
      if (end < 0) end = len;
      const at = chunk.lastIndexOf(":", end - 1);
      let i = 0;
      for (let j = at - digits; j < at; j++) i = i * 10 + chunk.charCodeAt(j) - 48;
      add(i, chunk.slice(start, at - digits), chunk.slice(at + 1, end));
      start = end + 1;
    }
  }
  for (const slot of out) for (const k in slot) if (slot[k] === 0 || slot[k] === 0n) delete slot[k];
  return out;
}

/**
 * The write of one chunk to a packed document: inserted with it as its only chunk, else
 * appended. `extra` holds the document's other fields as first written (none change later).
 */
export function packedWrite<T extends PackedDoc>(_id: string, account: string, chunk: string, extra: Omit<T, keyof PackedDoc>): InsertOrUpdate<T> {
  const doc = { ...extra, _id, a: account, p: [chunk], g: 0 } as T;
  // Generic T hides that `p` is an array of strings from the driver's update type.
  return { doc, update: { $push: { p: chunk } } as unknown as UpdateFilter<T> };
}

/**
 * Folds the chunks of packed documents into one, after every COMPACT_EVERY appends this process
 * made to a document (a count kept here, per collection and `_id`, up to MAX_TRACKED documents:
 * other instances' appends are folded when theirs reach it, so a document holds at most about
 * COMPACT_EVERY chunks per writing instance). Call it where the appends are made, in the same
 * turn: on a database whose updates are not atomic (FerretDB) the fold, a read then a write,
 * must not race an append to the same document, and the writers' turns and account locks are
 * what keeps them apart there.
 *
 * `guarded` (see fold): false only where this process is the database's one writer
 * (`!caps.concurrentWriters`, FerretDB's SQLite backend).
 */
export class PackedCompactor {
  private readonly appends = new Map<string, number>();
  private static readonly MAX_TRACKED = 100_000;

  constructor(
    private readonly guarded: boolean,
    private readonly every = COMPACT_EVERY,
  ) {}

  /**
   * Notes one append to each of `ids` and folds those due: every `every` appends (a
   * collection whose documents many reads fetch at once may fold more often than the default).
   */
  async appended<T extends PackedDoc>(col: Collection<T>, ids: readonly string[], every = this.every, form: FoldForm = KEYED): Promise<void> {
    const due: string[] = [];
    if (this.appends.size > PackedCompactor.MAX_TRACKED) this.appends.clear();
    for (const id of ids) {
      const key = `${col.collectionName}\u0000${id}`;
      const n = (this.appends.get(key) ?? 0) + 1;
      if (n >= every) {
        this.appends.delete(key);
        due.push(id);
      } else this.appends.set(key, n);
    }
    for (const id of due) await fold(col, id, this.guarded, form);
  }
}

/**
 * Replaces a document's chunks by one holding their sums, if no chunk was added since they were
 * read: the update matches only the same fold count and the same number of chunks, and appends
 * only ever add at the end, so a match means the very chunks that were summed (a fold in
 * between would have raised `g`). Otherwise it does nothing (the next fold will).
 *
 * `guarded: false` leaves that check out of the update's filter, for a database with one writer
 * (`!caps.concurrentWriters`) where the fold runs in that writer's turn, as every append does, so
 * nothing can come between its read and its write. The reason is FerretDB's SQLite backend: it
 * answers a filter of anything but an exact `_id` by decoding every document of the collection
 * (measured: 220 ms for an update of one of 3,000 documents of 14 KB, 4 ms by `_id` alone), so
 * the guarded fold's cost grew with the collection, every account's documents of it.
 */
export async function fold<T extends PackedDoc>(col: Collection<T>, _id: string, guarded = true, form: FoldForm = KEYED): Promise<boolean> {
  const doc = await col.findOne({ _id } as Filter<T>);
  return doc !== null && foldDue(doc, form) && foldRead(col, doc as PackedDoc, guarded, form);
}

/** Whether a document has chunks to fold: more than one, or one not yet in its collection's folded form. */
export function foldDue(doc: Pick<PackedDoc, "p">, form: FoldForm = KEYED): boolean {
  return doc.p.length > 1 || (doc.p.length === 1 && doc.p[0] !== "" && !form.isFolded(doc.p[0]!));
}

/**
 * Folds the chunks of `read` (the document as read) into one, in its collection's form (a grid
 * where the counters are by index, see FoldForm), unless it changed since (see fold).
 */
export async function foldRead<T extends PackedDoc>(col: Collection<T>, read: PackedDoc, guarded = true, form: FoldForm = KEYED): Promise<boolean> {
  const { filter, update } = foldUpdate<T>(read, guarded, form);
  const r = await col.updateOne(filter, update);
  return r.modifiedCount === 1;
}

/** The update that folds `read`'s chunks (see foldRead), for one document or a bulk of them. */
export function foldUpdate<T extends PackedDoc>(read: PackedDoc, guarded: boolean, form: FoldForm = KEYED): { filter: Filter<T>; update: UpdateFilter<T> } {
  const chunk = form.fold(read.p);
  // A document written before it was folded by anyone may have no `g` yet (an hour's seconds
  // before folds existed): it counts as never folded, and the fold gives it `g: 1`.
  const check = guarded ? { g: read.g ?? { $exists: false }, p: { $size: read.p.length } } : {};
  // The filter and update name `p` and `g`, which the generic T hides from the driver's types.
  return {
    filter: { _id: read._id, ...check } as unknown as Filter<T>,
    update: { $set: { p: [chunk] }, $inc: { g: 1 } } as unknown as UpdateFilter<T>,
  };
}
