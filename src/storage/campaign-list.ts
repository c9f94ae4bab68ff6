import type { AnyBulkWriteOperation, Collection, Db } from "mongodb";
import { readByIds } from "./by-id.js";
import type { Capabilities } from "./capabilities.js";
import { prepareCollection } from "./indexes.js";
import { insertNew } from "./insert-new.js";
import { SortedPages, type SortKey, type SortedItem, type SortedPageDoc } from "./sorted-pages.js";
import type { CampaignStatusName, RegisteredCampaign } from "./types.js";

/** One campaign as the list knows it. */
export interface ListedCampaign {
  id: string;
  registered?: RegisteredCampaign;
  /** The first send event, if any. */
  firstSend?: Date;
}

/** A campaign's place in the list: its send time (ms; null when unsent) and id. */
export type ListPosition = SortKey;

/**
 * List order: campaigns without a send time first (drafts and scheduled ones are the newest
 * work), then newest send time first, ties (and the unsent among themselves) by id.
 */
export function listOrder(a: ListPosition, b: ListPosition): number {
  if (a[0] !== b[0]) {
    if (a[0] === null) return -1;
    if (b[0] === null) return 1;
    return b[0] - a[0];
  }
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** The registered values as the entry keeps them. */
interface Registered {
  n: string;
  st: CampaignStatusName;
  s: Date | null;
  tr: number | null;
}

/**
 * `campaign_list_entries`: one document per campaign the account has (registered, or seen in
 * events), `_id` `account|campaign`, with what the list shows, orders and filters by.
 */
interface EntryDoc {
  _id: string;
  a: string;
  /** The campaign id. */
  i: string;
  /** First send event. */
  f?: Date;
  r?: Registered;
}

/** What a page shows of an entry, kept beside its position in each view it is in. */
interface Shown {
  f?: Date;
  r?: Registered;
}
const shownOf = (e: EntryDoc): Shown => ({ ...(e.f ? { f: e.f } : {}), ...(e.r ? { r: e.r } : {}) });
/** The entry as stored (fields in one order, so an unchanged one compares equal). */
const stored = (e: EntryDoc): EntryDoc => ({ _id: e._id, a: e.a, i: e.i, ...shownOf(e) });

/** Where an entry sorts: the registered send time, else the first send event. */
const positionOf = (e: EntryDoc): ListPosition => [e.r?.s?.getTime() ?? e.f?.getTime() ?? null, e.i];
/** The views an entry is in: all campaigns, and its status ("unknown": seen only in events). */
const viewsOf = (e: EntryDoc): string[] => ["all", e.r?.st ?? "unknown"];

/** Campaigns whose listing this process knows, with the earliest first send it has written. */
const KNOWN_MAX = 100_000;

/**
 * The account's campaign list: per campaign an entry (`campaign_list_entries`), and the list's
 * order as sorted views (`campaign_list_pages`, src/storage/sorted-pages.ts), one of every
 * campaign and one per status, each a directory plus chunks of ≤ 200 positions with what a
 * page shows of each, read by exact `_id`: a page costs its view's directory and the chunks it
 * spans, whatever the account's number of campaigns. Changes are made by one writer of the account at a time (the
 * ingest lease: batches' `seen`, UpsertCampaign's `register`, the rebuild), journaled: one cut
 * short is repaired by the account's rebuild, which rebuilds the list from `campaigns` and the
 * raw events.
 */
export class CampaignListStore {
  readonly entries: Collection<EntryDoc>;
  readonly pages: Collection<SortedPageDoc>;
  private readonly views: SortedPages<Shown>;
  /** `account|campaign` → first send written (ms; Infinity for none): a later one changes nothing. */
  private readonly known = new Map<string, number>();
  constructor(
    db: Db,
    private readonly caps: Capabilities,
  ) {
    this.entries = db.collection<EntryDoc>("campaign_list_entries");
    this.pages = db.collection<SortedPageDoc>("campaign_list_pages");
    this.views = new SortedPages<Shown>(this.pages, caps, listOrder);
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    // Clearing an account before a rebuild.
    await prepareCollection(this.entries, caps, [{ name: "account", key: { a: 1 } }]);
    await prepareCollection(this.pages, caps, [{ name: "account", key: { a: 1 } }]);
  }

  /**
   * Notes campaigns seen in events, with their earliest send in the batch (if any): writes only
   * when something is new. `token`: the account's lease held (see SortedPages.apply).
   */
  async seen(account: string, campaigns: { id: string; firstSend?: Date }[], token?: string): Promise<void> {
    const todo = campaigns.filter((c) => {
      const known = this.known.get(`${account}|${c.id}`);
      return known === undefined || (c.firstSend?.getTime() ?? Infinity) < known;
    });
    if (todo.length === 0) return;
    const written = await this.change(
      account,
      todo.map((c) => [c.id, (e) => (c.firstSend && !(e.f && e.f <= c.firstSend) ? { ...e, f: c.firstSend } : e)]),
      token,
    );
    if (this.known.size >= KNOWN_MAX) this.known.clear();
    for (const e of written) this.known.set(e._id, e.f?.getTime() ?? Infinity);
  }

  /** Records campaigns' registered values (UpsertCampaign; every registration again in a rebuild). */
  async register(account: string, campaigns: RegisteredCampaign[], token?: string): Promise<void> {
    await this.change(
      account,
      campaigns.map((c) => [c.id, (e) => ({ ...e, r: { n: c.name, st: c.status, s: c.sentAt ?? null, tr: c.totalRecipients ?? null } })]),
      token,
    );
  }

  /**
   * Applies changes to entries: a campaign new to the list is inserted as the change makes it
   * (no read; most changes a batch makes are new campaigns), one that exists collides and is
   * read; each changed one is moved in the views it leaves, enters and moves within, and an
   * existing one written after its views. (Cut short anywhere, the journal has the account's
   * list rebuilt.) Returns every entry as it is now.
   */
  private async change(account: string, changes: [string, (e: EntryDoc) => EntryDoc][], token: string | undefined): Promise<EntryDoc[]> {
    const ids = changes.map(([id]) => `${account}|${id}`);
    const fresh = changes.map(([id, fn], i) => fn({ _id: ids[i]!, a: account, i: id }));
    const existed = await insertNew(this.entries, fresh.map(stored));
    const before = await readByIds(this.entries, this.caps, [...existed].map((i) => ids[i]!));
    const remove = new Map<string, SortKey[]>();
    const insert = new Map<string, SortedItem<Shown>[]>();
    const add = <T>(m: Map<string, T[]>, view: string, x: T) => (m.get(view) ?? m.set(view, []).get(view)!).push(x);
    const now: EntryDoc[] = [];
    const writes: AnyBulkWriteOperation<EntryDoc>[] = [];
    for (const [i, [id, fn]] of changes.entries()) {
      const old = existed.has(i) ? before.get(ids[i]!) : undefined;
      const next = existed.has(i) ? fn(old ?? { _id: ids[i]!, a: account, i: id }) : fresh[i]!;
      now.push(next);
      if (old && JSON.stringify(stored(old)) === JSON.stringify(stored(next))) continue;
      const [oldAt, nextAt] = [old && positionOf(old), positionOf(next)];
      const moved = !oldAt || listOrder(oldAt, nextAt) !== 0;
      const [oldViews, nextViews] = [old ? viewsOf(old) : [], viewsOf(next)];
      for (const v of oldViews) if (moved || !nextViews.includes(v)) add(remove, v, oldAt!);
      // In every view it is in: a new position, or the same one with what the page shows now.
      for (const v of nextViews) add(insert, v, { k: nextAt, d: shownOf(next) });
      if (existed.has(i)) writes.push({ replaceOne: { filter: { _id: next._id }, replacement: { a: next.a, i: next.i, ...shownOf(next) }, upsert: true } });
    }
    await this.applyViews(account, [...new Set([...remove.keys(), ...insert.keys()])], remove, insert, token);
    for (let i = 0; i < writes.length; i += this.caps.bulkMax) await this.entries.bulkWrite(writes.slice(i, i + this.caps.bulkMax), { ordered: false });
    return now;
  }

  /**
   * Changes the views, their writes together (SortedPages.applyAll): every write has ended before
   * this returns or throws, so a failed view never leaves another's write in flight past the
   * lease's release, where it could land on top of a rebuilt view.
   */
  private async applyViews(account: string, views: string[], remove: Map<string, SortKey[]>, insert: Map<string, SortedItem<Shown>[]>, token: string | undefined): Promise<void> {
    await this.views.applyAll(
      account,
      views.map((view) => ({ view, remove: remove.get(view) ?? [], insert: insert.get(view) ?? [] })),
      token,
    );
  }

  /** A page of the list (of one status, or "unknown", or all when undefined) after a position, and whether more follow. */
  async page(account: string, status: string | undefined, after: ListPosition | undefined, size: number): Promise<{ items: ListedCampaign[]; more: boolean }> {
    const page = await this.views.page(account, status ?? "all", after, size);
    const items = page.items.map(({ k: [, id], d }) => {
      const out: ListedCampaign = { id };
      if (d.f) out.firstSend = d.f;
      if (d.r) out.registered = { id, name: d.r.n, status: d.r.st, sentAt: d.r.s ?? undefined, totalRecipients: d.r.tr ?? undefined };
      return out;
    });
    return { items, more: page.more };
  }

  /** Forgets what this process remembers of an account's list (of every account when undefined), e.g. after a rebuild elsewhere. */
  forget(account: string | undefined): void {
    const prefix = account === undefined ? "" : `${account}|`;
    for (const key of this.known.keys()) if (key.startsWith(prefix)) this.known.delete(key);
    this.views.forget(prefix);
  }

  /** Forgets the account's list (a rebuild registers its campaigns again and replays its events). Run it while no batch for the account is in flight. */
  async clearAccount(account: string): Promise<void> {
    this.forget(account);
    await this.entries.deleteMany({ a: account });
    await this.pages.deleteMany({ a: account });
  }
}
