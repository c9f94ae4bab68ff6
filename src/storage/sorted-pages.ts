import type { AnyBulkWriteOperation, Collection, Filter } from "mongodb";
import { readByIds } from "./by-id.js";
import type { Capabilities } from "./capabilities.js";

/** A position in a sorted view: what it sorts by, then an id that makes it unique. */
export type SortKey = [number | null, string];

/** A key in a view, with what a page shows of it (`d`), so a page reads no other document. */
export interface SortedItem<P> {
  k: SortKey;
  d: P;
}

/** A key as stored: FerretDB v1 stores no array inside an array. */
interface StoredKey {
  s: number | null;
  i: string;
}
interface StoredItem extends StoredKey {
  d?: unknown;
}
const storedKey = (k: SortKey): StoredKey => ({ s: k[0], i: k[1] });
const loadedKey = (k: StoredKey): SortKey => [k.s, k.i];
const stored = <P>(x: SortedItem<P>): StoredItem => ({ s: x.k[0], i: x.k[1], d: x.d });
const loaded = <P>(x: StoredItem): SortedItem<P> => ({ k: [x.s, x.i], d: x.d as P });

/** Keys a chunk holds at most; a split leaves halves of CHUNK_MAX / 2. */
export const CHUNK_MAX = 200;
/** A chunk left smaller than this by removals is merged with the next when both fit in one. */
const CHUNK_MIN = CHUNK_MAX / 4;
/** Directory reads a page makes at most while the view's layout keeps changing under it. */
const READ_ATTEMPTS = 8;

/**
 * A view's directory, `_id` `owner|view`: its chunks in order, each with a lower bound of its
 * keys (`k`, null for the first: below everything). A key belongs to the last chunk whose bound
 * is not above it.
 */
interface DirectoryDoc {
  _id: string;
  a: string;
  c: { p: number; k: StoredKey | null }[];
  /** The number the next new chunk takes. */
  next: number;
  /** How many times the chunks' layout changed (absent: never); see ChunkDoc.v. */
  v?: number;
}

/** A chunk, `_id` `owner|view|<number>`: up to CHUNK_MAX keys, sorted. */
interface ChunkDoc {
  _id: string;
  a: string;
  e: StoredItem[];
  /**
   * The directory's layout version this chunk was written under (absent: 0). A reader that
   * finds it above the directory it read has met a split or merge half-way and reads again.
   */
  v?: number;
}

/** The collection holds both kinds. */
export interface SortedPageDoc {
  _id: string;
  a: string;
  c?: DirectoryDoc["c"];
  next?: number;
  e?: StoredItem[];
  v?: number;
}

const dirId = (owner: string, view: string) => `${owner}|${view}`;

/** A change of one view: keys removed, then items inserted. */
export interface ViewChange<P> {
  view: string;
  remove: SortKey[];
  insert: SortedItem<P>[];
}

/** A change of one view worked out (see SortedPages.plan), to be written. */
interface Plan {
  key: string;
  memo: Memo;
  /** The directory changes (written after the chunks). */
  relaid: boolean;
  dir: Omit<DirectoryDoc, "_id">;
  found: DirectoryDoc | null;
  writes: AnyBulkWriteOperation<SortedPageDoc>[];
  dropped: string[];
  /** The chunks read and written, as they stand once the writes are done. */
  chunks: Map<string, ChunkDoc>;
}

/** A view as this process last read or wrote it under the owner's lease `token`; dir undefined: not known. */
interface Memo {
  token: string;
  dir: DirectoryDoc | null | undefined;
  chunks: Map<string, ChunkDoc>;
}
/** Views remembered at most (each its directory and the chunks last touched, up to ~20 kB each). */
const MEMO_MAX = 256;
const chunkId = (owner: string, view: string, p: number) => `${owner}|${view}|${p}`;

/**
 * Sorted views kept as a directory plus chunks of at most CHUNK_MAX keys (a B-tree of two
 * levels), every document read and written by its exact `_id` (FerretDB v1 serves nothing else
 * from an index). A page after a position costs the directory (about one bound per 100–200
 * keys) and the few chunks the page spans, never the whole view; no document grows past
 * CHUNK_MAX keys but the directory, 16 MB of which indexes some 10^8 keys. Writers of one
 * owner must take turns (the caller's lease): a change reads and rewrites whole documents.
 * A write cut short may leave a view missing or repeating keys; the caller's journal has the
 * owner rebuilt (clearOwner, then every key again).
 *
 * Readers take no lock. A change writes its chunks, then the directory, then deletes the chunks
 * it dropped, so a reader holding an older directory could meet a chunk already split (half its
 * keys moved to a chunk that directory does not list) or already deleted, and skip keys. The
 * directory therefore counts its layout changes (`v`: a split, a merge, or any change that
 * rewrites more than one chunk, such as a key moving between chunks) and every chunk carries the
 * count it was written under: a chunk above the directory read, or a listed chunk gone, sends
 * the reader back to the directory.
 */
export class SortedPages<P> {
  /**
   * Views as this process last read or wrote them, by `owner|view`, with the token of the
   * owner's lease held then (see `apply`); the most recently used MEMO_MAX views.
   */
  private readonly memo = new Map<string, Memo>();
  constructor(
    private readonly col: Collection<SortedPageDoc>,
    private readonly caps: Capabilities,
    private readonly compare: (a: SortKey, b: SortKey) => number,
  ) {}

  /** The index of the chunk a key belongs to. */
  private slot(dir: DirectoryDoc, key: SortKey): number {
    let lo = 0;
    let hi = dir.c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.compare(loadedKey(dir.c[mid]!.k!), key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Removes keys of one view, then inserts items (an item whose key is there already replaces
   * it): one directory read, one read of the chunks touched, their writes. With `token`, the
   * owner's lease held by the caller: the directory and chunks this process read or wrote under
   * that same lease (held all along: nobody else wrote the view since) are taken from memory
   * instead of read again.
   */
  async apply(owner: string, view: string, remove: SortKey[], insert: SortedItem<P>[], token?: string): Promise<void> {
    await this.applyAll(owner, [{ view, remove, insert }], token);
  }

  /**
   * `apply` for several views of one owner at once, their writes together: every view's chunks
   * in one bulk write, then their directories in one, then the chunks they dropped (each view's
   * own order kept: chunks, directory, drops). A batch of new campaigns changes two views (all
   * campaigns, and their status), which on FerretDB is one command less. Every write has ended
   * before this returns or throws.
   */
  async applyAll(owner: string, changes: ViewChange<P>[], token?: string): Promise<void> {
    const plans = await Promise.all(changes.filter((c) => c.remove.length > 0 || c.insert.length > 0).map((c) => this.plan(owner, c, token)));
    if (plans.length === 0) return;
    const bulks = async (ops: AnyBulkWriteOperation<SortedPageDoc>[]) => {
      for (let i = 0; i < ops.length; i += this.caps.bulkMax) await this.col.bulkWrite(ops.slice(i, i + this.caps.bulkMax), { ordered: false });
    };
    // New and changed chunks first, the directories that point at them after, dropped chunks last.
    await bulks(plans.flatMap((p) => p.writes));
    await bulks(plans.filter((p) => p.relaid).map((p) => ({ replaceOne: { filter: { _id: p.key }, replacement: p.dir, upsert: true } })));
    await bulks(plans.flatMap((p) => p.dropped.map((_id) => ({ deleteOne: { filter: { _id } } }))));
    if (token === undefined) return;
    for (const p of plans) this.remember(p);
  }

  /** Reads what a change of one view needs and works out its writes (nothing written yet). */
  private async plan(owner: string, { view, remove, insert }: ViewChange<P>, token?: string): Promise<Plan> {
    const key = dirId(owner, view);
    const remembered = this.memo.get(key);
    // Forgotten before any write: a write cut short leaves the view unknown (the journal has it rebuilt).
    this.memo.delete(key);
    const memo: Memo = token !== undefined && remembered?.token === token ? remembered : { token: token ?? "", dir: undefined, chunks: new Map() };
    const found = memo.dir !== undefined ? memo.dir : ((await this.col.findOne({ _id: key } as Filter<SortedPageDoc>)) as DirectoryDoc | null);
    // A view emptied keeps its directory (with its count and next number): a reader of an older
    // directory must never meet a recreated view's chunks under numbers it knows.
    const dir: DirectoryDoc = found && found.c.length > 0 ? found : { _id: dirId(owner, view), a: owner, c: [{ p: found?.next ?? 0, k: null }], next: (found?.next ?? 0) + 1, v: found?.v };
    const touched = new Map<number, { remove: SortKey[]; insert: SortedItem<P>[] }>();
    const at = (i: number) => touched.get(i) ?? touched.set(i, { remove: [], insert: [] }).get(i)!;
    for (const k of remove) at(this.slot(dir, k)).remove.push(k);
    for (const x of insert) at(this.slot(dir, x.k)).insert.push(x);
    // The chunk after a touched one too where keys leave it: a touched chunk left small takes it in
    // (inserts alone never make one smaller, so a batch of new campaigns reads one chunk a view).
    const wanted = new Set<number>();
    for (const [i, change] of touched) for (const j of change.remove.length > 0 ? [i, i + 1] : [i]) if (j < dir.c.length) wanted.add(j);
    const wantedIds = [...wanted].map((i) => chunkId(owner, view, dir.c[i]!.p));
    const read = await readByIds(this.col as Collection<ChunkDoc>, this.caps, wantedIds.filter((id) => !memo.chunks.has(id)));
    for (const id of wantedIds) {
      const m = memo.chunks.get(id);
      if (m) read.set(id, m);
    }
    const keysOf = (i: number) => (read.get(chunkId(owner, view, dir.c[i]!.p))?.e ?? []).map(loaded<P>);

    const chunks: { p: number; k: StoredKey | null; e: SortedItem<P>[] | undefined }[] = dir.c.map((c) => ({ ...c, e: undefined }));
    for (const [i, change] of touched) {
      const gone = (x: SortedItem<P>) => change.remove.some((r) => this.compare(r, x.k) === 0) || change.insert.some((n) => this.compare(n.k, x.k) === 0);
      const e = [...keysOf(i).filter((x) => !gone(x)), ...change.insert];
      chunks[i]!.e = e.sort((a, b) => this.compare(a.k, b.k));
    }
    // A small touched chunk takes in the next one when both fit in one chunk (the next is left empty).
    for (let i = 0; i < chunks.length - 1; i++) {
      const c = chunks[i]!;
      if (c.e === undefined || c.e.length >= CHUNK_MIN || !wanted.has(i + 1)) continue;
      const next = chunks[i + 1]!.e ?? keysOf(i + 1);
      if (c.e.length + next.length > CHUNK_MAX) continue;
      c.e = [...c.e, ...next];
      chunks[i + 1]!.e = [];
      i++;
    }

    const out: DirectoryDoc["c"] = [];
    const pieces: { p: number; e: SortedItem<P>[] }[] = [];
    let next = dir.next;
    for (const c of chunks) {
      if (c.e === undefined) {
        out.push({ p: c.p, k: c.k });
        continue;
      }
      if (c.e.length === 0) continue;
      // Halves of CHUNK_MAX / 2 when over CHUNK_MAX; the first keeps the chunk's number and bound.
      const halves = c.e.length > CHUNK_MAX ? Array.from({ length: Math.ceil(c.e.length / (CHUNK_MAX / 2)) }, (_, j) => c.e!.slice((j * CHUNK_MAX) / 2, ((j + 1) * CHUNK_MAX) / 2)) : [c.e];
      halves.forEach((e, j) => {
        const p = j === 0 ? c.p : next++;
        out.push({ p, k: j === 0 ? c.k : storedKey(e[0]!.k) });
        pieces.push({ p, e });
      });
    }
    if (out.length > 0) out[0]!.k = null;
    // A new layout version when the directory changes, and also when more than one chunk is
    // rewritten (a key moving from one chunk to another): a reader that met one of them before
    // the change and another after would miss the key or list it twice. Most changes rewrite one
    // chunk and leave the directory alone.
    const relaid = !found || pieces.length > 1 || JSON.stringify(out) !== JSON.stringify(found.c);
    const v = (dir.v ?? 0) + (relaid ? 1 : 0);
    const writes: AnyBulkWriteOperation<SortedPageDoc>[] = pieces.map(({ p, e }) => ({
      replaceOne: { filter: { _id: chunkId(owner, view, p) }, replacement: { a: owner, e: e.map(stored), v }, upsert: true },
    }));
    const kept = new Set(out.map((c) => c.p));
    const dropped = dir.c.filter((c) => !kept.has(c.p)).map((c) => chunkId(owner, view, c.p));
    const chunksNow = new Map(read);
    for (const { p, e } of pieces) chunksNow.set(chunkId(owner, view, p), { _id: chunkId(owner, view, p), a: owner, e: e.map(stored), v });
    for (const id of dropped) chunksNow.delete(id);
    return { key, memo, relaid, dir: { a: owner, c: out, next, v }, found, writes, dropped, chunks: chunksNow };
  }

  /** Once a change is written: the view as it now stands, for the next change under the same lease. */
  private remember(p: Plan): void {
    p.memo.dir = p.relaid ? { _id: p.key, ...p.dir } : p.found;
    for (const [id, doc] of p.chunks) p.memo.chunks.set(id, doc);
    for (const id of p.dropped) p.memo.chunks.delete(id);
    if (this.memo.size >= MEMO_MAX) this.memo.delete(this.memo.keys().next().value!);
    this.memo.set(p.key, p.memo);
  }

  /** Forgets the views remembered of owners whose id starts with `prefix` (every one for ""). */
  forget(prefix: string): void {
    for (const key of this.memo.keys()) if (key.startsWith(prefix)) this.memo.delete(key);
  }

  /** Up to `size` items of a view after `after` (from its start when undefined), and whether more follow. */
  async page(owner: string, view: string, after: SortKey | undefined, size: number): Promise<{ items: SortedItem<P>[]; more: boolean }> {
    for (let attempt = 1; ; attempt++) {
      const dir = (await this.col.findOne({ _id: dirId(owner, view) } as Filter<SortedPageDoc>)) as DirectoryDoc | null;
      const out: SortedItem<P>[] = [];
      if (!dir) return { items: out, more: false };
      let consistent = true;
      // Two chunks at a time: a page (≤ 200) spans at most a few, merged ones holding ≥ CHUNK_MIN.
      for (let i = dir.c.length > 0 && after ? this.slot(dir, after) : 0; i < dir.c.length && out.length <= size && consistent; i += 2) {
        const ids = dir.c.slice(i, i + 2).map((c) => chunkId(owner, view, c.p));
        const read = await readByIds(this.col as Collection<ChunkDoc>, this.caps, ids);
        consistent = ids.every((id) => (read.get(id)?.v ?? 0) <= (dir.v ?? 0) && read.has(id));
        for (const id of ids) for (const x of (read.get(id)?.e ?? []).map(loaded<P>)) if (!after || this.compare(x.k, after) > 0) out.push(x);
      }
      // Met a change half-way: read again from the directory. Layout changes come once per ~100
      // new keys of one owner, so a reader is not sent back more than once or twice; after
      // READ_ATTEMPTS it answers what it read rather than wait on a writer that never pauses.
      if (consistent || attempt >= READ_ATTEMPTS) return { items: out.slice(0, size), more: out.length > size };
    }
  }
}
