import type { Collection, Db, Filter } from "mongodb";
import { readByIds } from "./by-id.js";
import type { Capabilities } from "./capabilities.js";
import { urlKey } from "./email-key.js";
import { prepareCollection } from "./indexes.js";
import { InsertFirstWriter, type InsertOrUpdate } from "./insert-first.js";
import { insertNew } from "./insert-new.js";

/** Clicks on one url of a campaign: events, and messages that clicked it for the first time. */
export interface LinkDelta {
  url: string;
  clicks: number;
  uniques: number;
}

export interface LinkStats {
  url: string;
  clicks: number;
  uniqueClicks: number;
}

export interface LinkCounter {
  /** The url as the clicks carried it. */
  u: string;
  /** Click events. */
  c: number;
  /** Messages that clicked it at least once. */
  q: number;
}

/**
 * Urls one link page holds at most. A page is then at most LINK_PAGE × (url + 60 bytes): far
 * below the 16 MB document limit whatever a campaign's number of urls, and a campaign of up to
 * LINK_PAGE urls is read in one round trip (its head and first page together).
 */
export const LINK_PAGE = 500;

/**
 * `campaign_link_pages`, two kinds of documents, every one read by its exact `_id` (FerretDB
 * v1's SQLite backend pushes down nothing else, not even an `_id` range: it would decode the
 * whole collection):
 * - the head, `_id` `account|campaign`: `n`, url slots handed out so far; the campaign's pages
 *   are 0 … ⌈n / LINK_PAGE⌉ − 1;
 * - a page, `_id` `account|campaign|<page>`: `l`, up to LINK_PAGE urls' counters keyed by a hash
 *   of the url (a url may hold `.` and `$`, which a field name must not).
 */
export interface LinkPageDoc {
  _id: string;
  /** The account (for clearing it before a rebuild). */
  a: string;
  /** Head only: url slots handed out. */
  n?: number;
  /** Page only: counters by url hash. */
  l?: Record<string, LinkCounter>;
}

/** `campaign_link_urls`: which page holds a url, `_id` `account|campaign|<url hash>`; written once, when the url is first clicked. */
export interface LinkUrlDoc {
  _id: string;
  a: string;
  /** The page. */
  p: number;
}

/** Url pages and page documents remembered (about 100 bytes each). */
const KNOWN_MAX = 100_000;

export const headId = (account: string, campaignId: string) => `${account}|${campaignId}`;
export const pageId = (account: string, campaignId: string, page: number) => `${account}|${campaignId}|${page}`;
export const urlId = (account: string, campaignId: string, url: string) => `${account}|${campaignId}|${urlKey(url)}`;

/**
 * Per campaign, clicks by exact url in bounded pages: a new url takes the next slot of its
 * campaign (one `$inc` on the head per campaign and batch with new urls) and keeps its page for
 * good (`campaign_link_urls`, unique `_id`: of two writers racing on one new url, the insert
 * that wins decides, the other takes its page). A batch then makes one write per page it
 * touches. Slots handed out for a url that turned out known are left empty: pages may hold fewer
 * than LINK_PAGE, never more. Counting is serialized per account (the ingest lease), so the
 * head's `$inc` is never lost, even where racing updates are (FerretDB).
 */
export class CampaignLinkStore {
  readonly pages: Collection<LinkPageDoc>;
  readonly urls: Collection<LinkUrlDoc>;
  private readonly writer: InsertFirstWriter;
  /** `urlId` → page. */
  private readonly pageOf = new Map<string, number>();
  /**
   * Heads of campaigns this process has handed out slots of since it last forgot their urls:
   * every url of theirs placed before is in `pageOf` unless another instance placed it, so an
   * unknown one is placed at once instead of looked up first (a lookup per new url was most of a
   * batch's round trips when its campaigns had new urls). One placed elsewhere meanwhile
   * collides on its unique `_id` and is read then, leaving its slot empty.
   */
  private readonly placedHere = new Set<string>();
  /**
   * Heads whose slot count this process read or wrote last, with the token of the account's
   * lease it held then. While that lease is still held (the same token: kept between batches, never
   * given up), nobody else can have handed out slots since: new slots are counted here and the
   * head's `$inc` goes with the batch's page writes, instead of a `findOneAndUpdate` per
   * campaign first.
   */
  private readonly slots = new Map<string, { n: number; token: string }>();
  constructor(
    db: Db,
    private readonly caps: Capabilities,
  ) {
    this.pages = db.collection<LinkPageDoc>("campaign_link_pages");
    this.urls = db.collection<LinkUrlDoc>("campaign_link_urls");
    this.writer = new InsertFirstWriter(KNOWN_MAX, caps);
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    // Clearing an account before a rebuild.
    await prepareCollection(this.pages, caps, [{ name: "account", key: { a: 1 } }]);
    await prepareCollection(this.urls, caps, [{ name: "account", key: { a: 1 } }]);
  }

  /** Adds clicks per campaign and url, under the account's lease (`token`). */
  async add(account: string, byCampaign: Map<string, LinkDelta[]>, token: string): Promise<void> {
    if (byCampaign.size === 0) return;
    const { heads, counted } = await this.placeNew(account, byCampaign, token);
    const byPage = new Map<string, { l: Record<string, LinkCounter>; inc: Record<string, number>; set: Record<string, string> }>();
    for (const [campaignId, deltas] of byCampaign) {
      for (const d of deltas) {
        const id = pageId(account, campaignId, this.pageOf.get(urlId(account, campaignId, d.url))!);
        let w = byPage.get(id);
        if (!w) byPage.set(id, (w = { l: {}, inc: {}, set: {} }));
        const k = urlKey(d.url);
        w.l[k] = { u: d.url, c: d.clicks, q: d.uniques };
        w.inc[`l.${k}.c`] = d.clicks;
        w.inc[`l.${k}.q`] = d.uniques;
        w.set[`l.${k}.u`] = d.url;
      }
    }
    const items: InsertOrUpdate<LinkPageDoc>[] = [...byPage].map(([_id, w]) => ({ doc: { _id, a: account, l: w.l }, update: { $inc: w.inc, $set: w.set } }));
    await this.writer.write(this.pages, [...items, ...heads]);
    // Remembered once written: a write cut short leaves them unknown, read again next time.
    for (const [id, n] of counted) this.slots.set(id, { n, token });
  }

  /**
   * Finds, or hands out, the page of every url not remembered yet. Returns the writes of the
   * heads whose slots were counted here (see `slots`), for the caller's page writes, and every
   * head's slot count once they are written.
   */
  private async placeNew(
    account: string,
    byCampaign: Map<string, LinkDelta[]>,
    token: string,
  ): Promise<{ heads: InsertOrUpdate<LinkPageDoc>[]; counted: Map<string, number> }> {
    // Forgotten all at once, before this batch looks anything up (it may overshoot by one batch).
    if (this.pageOf.size >= KNOWN_MAX) {
      this.pageOf.clear();
      this.placedHere.clear();
      this.slots.clear();
    }
    const unknownOf = (c: string) => [...new Set(byCampaign.get(c)!.map((d) => urlId(account, c, d.url)))].filter((id) => !this.pageOf.has(id));
    const asking = [...byCampaign.keys()].filter((c) => !this.placedHere.has(headId(account, c)) && unknownOf(c).length > 0);
    // A campaign with no head yet has no url placed (a head's slots are handed out before its
    // urls are written). So the heads are inserted first, all in one command, each with slots
    // for all of its campaign's urls in this batch: one that goes in was new, and its urls take
    // those slots with no lookup (a batch of new campaigns used to read each one's head first);
    // only those that collide are read, and their unknown urls looked up.
    const created = await this.createHeads(account, asking.map((c) => [c, unknownOf(c)] as const));
    const existing = asking.filter((c) => !created.has(c));
    const found = await readByIds(this.pages, this.caps, existing.map((c) => headId(account, c)));
    // Read under the lease: their slot counts as they stand (0 for a head not written yet).
    for (const c of existing) this.slots.set(headId(account, c), { n: found.get(headId(account, c))?.n ?? 0, token });
    const unknown = existing.filter((c) => (found.get(headId(account, c))?.n ?? 0) > 0).flatMap(unknownOf);
    for (const [id, doc] of await readByIds(this.urls, this.caps, unknown)) this.pageOf.set(id, doc.p);
    const docs: LinkUrlDoc[] = [];
    const heads: InsertOrUpdate<LinkPageDoc>[] = [];
    const counted = new Map<string, number>();
    for (const [campaignId, fresh] of created) {
      const _id = headId(account, campaignId);
      counted.set(_id, fresh.length);
      this.placedHere.add(_id);
      docs.push(...fresh.map((_id, i) => ({ _id, a: account, p: Math.floor(i / LINK_PAGE) })));
    }
    for (const campaignId of byCampaign.keys()) {
      if (created.has(campaignId)) continue;
      const fresh = unknownOf(campaignId);
      if (fresh.length === 0) continue;
      const _id = headId(account, campaignId);
      const known = this.slots.get(_id);
      this.slots.delete(_id);
      let n: number;
      if (known?.token === token) {
        n = known.n + fresh.length;
        heads.push({ doc: { _id, a: account, n }, update: { $inc: { n: fresh.length } } });
      } else {
        const head = await this.pages.findOneAndUpdate({ _id }, { $inc: { n: fresh.length }, $setOnInsert: { a: account } }, { upsert: true, returnDocument: "after" });
        n = head!.n!;
      }
      counted.set(_id, n);
      this.placedHere.add(_id);
      const first = n - fresh.length;
      docs.push(...fresh.map((_id, i) => ({ _id, a: account, p: Math.floor((first + i) / LINK_PAGE) })));
    }
    // Every campaign's new urls in one insert.
    const existed = await insertNew(this.urls, docs);
    for (const [i, d] of docs.entries()) if (!existed.has(i)) this.pageOf.set(d._id, d.p);
    // Another writer placed these first (or a restart forgot them): its page holds them.
    const taken = await readByIds(this.urls, this.caps, [...existed].map((i) => docs[i]!._id));
    for (const [id, doc] of taken) this.pageOf.set(id, doc.p);
    return { heads, counted };
  }

  /**
   * Inserts the heads of these campaigns (each with its urls not placed here) with a slot for
   * every one of those urls, in one command. Returns the campaigns whose head went in (new to
   * the account: their urls take slots 0 … n − 1); a head that existed collides and is left as
   * it was, for the caller to read.
   */
  private async createHeads(account: string, campaigns: (readonly [string, string[]])[]): Promise<Map<string, string[]>> {
    const existed = await insertNew(
      this.pages,
      campaigns.map(([c, urls]) => ({ _id: headId(account, c), a: account, n: urls.length })),
    );
    const created = new Map<string, string[]>();
    for (const [i, [c, urls]] of campaigns.entries()) {
      if (existed.has(i)) continue;
      created.set(c, urls);
    }
    // Each of them exists now (inserted, or collided): a later batch's `$inc` of its slots is an update.
    this.writer.exists(this.pages, campaigns.map(([c]) => headId(account, c)));
    return created;
  }

  /** The campaign's links, every one, unordered: its head and first page at once, then its other pages. */
  async links(account: string, campaignId: string): Promise<LinkStats[]> {
    const [head, first] = await Promise.all([
      this.pages.findOne({ _id: headId(account, campaignId) } as Filter<LinkPageDoc>),
      this.pages.findOne({ _id: pageId(account, campaignId, 0) } as Filter<LinkPageDoc>),
    ]);
    const count = Math.ceil((head?.n ?? 0) / LINK_PAGE);
    const ids = Array.from({ length: Math.max(0, count - 1) }, (_, i) => pageId(account, campaignId, i + 1));
    const rest = await readByIds(this.pages, this.caps, ids);
    const out: LinkStats[] = [];
    for (const page of [first, ...rest.values()]) {
      for (const e of Object.values(page?.l ?? {})) out.push({ url: e.u, clicks: e.c, uniqueClicks: e.q });
    }
    return out;
  }

  /**
   * Forgets what this process remembers of an account's links (of every account when
   * undefined): after a rebuild, here or elsewhere, a url's page may have changed.
   */
  forget(account: string | undefined): void {
    const prefix = account === undefined ? "" : `${account}|`;
    this.writer.forget(prefix);
    for (const id of this.pageOf.keys()) if (id.startsWith(prefix)) this.pageOf.delete(id);
    for (const id of this.placedHere) if (id.startsWith(prefix)) this.placedHere.delete(id);
    for (const id of this.slots.keys()) if (id.startsWith(prefix)) this.slots.delete(id);
  }

  /** Forgets an account's links (before a rebuild). */
  async clearAccount(account: string): Promise<void> {
    this.forget(account);
    await this.urls.deleteMany({ a: account });
    await this.pages.deleteMany({ a: account });
  }
}
