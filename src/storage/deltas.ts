import type { LinkDelta } from "./campaign-links.js";
import type { EmailEventDoc } from "./email-events.js";
import type { FirstChange } from "./first-marks.js";
import { revenueDelta } from "./money.js";
import { plus } from "./packed-counts.js";
import type { CampaignDelta, HourDelta, SecondCount } from "./rollups.js";
import { HOUR_MS, floorHour, type Counts } from "./types.js";

/** What one write adds to the rollups, by counter name. */
export interface Deltas {
  hours: HourDelta[];
  campaigns: CampaignDelta[];
  /** Per campaign, its clicks by url. */
  links: Map<string, LinkDelta[]>;
}

/** A purchase as the rollups count it. */
export interface CountedPurchase {
  ts: Date;
  currency: string;
  amount: number;
  /** The attributed campaign, or null. */
  campaign: string | null;
}

/** The unique counter a first mark moves. */
const UNIQUE: Record<Exclude<FirstChange["kind"], "link">, string> = { open: "uopen", click: "uclick", hopen: "uhopen", hclick: "uhclick" };

/**
 * Collects increments: per UTC hour (and by second of the hour, for the range edges), per
 * campaign, per campaign link. Every counter is addressed by its name.
 */
export class DeltaBuilder {
  /** By hour: its counts, and the same by second of the hour. */
  private readonly hours = new Map<number, { counts: Partial<Counts>; seconds: Map<string, Map<number, SecondCount>> }>();
  private readonly campaigns = new Map<string, CampaignDelta>();
  private readonly links = new Map<string, Map<string, LinkDelta>>();

  /** Counts newly stored email events. */
  events(docs: EmailEventDoc[]): this {
    for (const d of docs) {
      const ms = d.ts.getTime();
      const human = (d.k === "open" || d.k === "click") && !d.m;
      this.bump(ms, d.k, 1);
      if (d.k === "bounce" && d.bt) this.bump(ms, d.bt, 1);
      if (human) this.bump(ms, `h${d.k}`, 1);
      if (d.c === "") continue;
      const cd = this.campaign(d.c);
      inc(cd.counts, d.k, 1);
      if (d.k === "bounce" && d.bt) inc(cd.counts, d.bt, 1);
      if (human) inc(cd.counts, `h${d.k}`, 1);
      if (d.k === "send" && (!cd.firstSend || d.ts < cd.firstSend)) cd.firstSend = d.ts;
      if (d.k === "open" || d.k === "click") {
        const eh = d.h.getTime() / HOUR_MS;
        const t = cd.timeline.get(eh) ?? { o: 0, c: 0 };
        if (d.k === "open") t.o++;
        else t.c++;
        cd.timeline.set(eh, t);
      }
      if (d.k === "click" && d.url !== undefined) this.link(d.c, d.url).clicks++;
    }
    return this;
  }

  /**
   * Counts first opens/clicks that appeared or moved: the bucket's unique counter moves with the
   * message's first, and a campaign's all-time unique count grows by each new first.
   */
  firsts(changes: FirstChange[]): this {
    for (const ch of changes) {
      if (ch.kind === "link") {
        if (!ch.previous && ch.url !== undefined) this.link(ch.campaignId, ch.url).uniques++;
        continue;
      }
      const key = UNIQUE[ch.kind];
      this.bump(ch.ts.getTime(), key, 1);
      if (ch.previous) this.bump(ch.previous.getTime(), key, -1);
      else if (ch.campaignId !== "") inc(this.campaign(ch.campaignId).counts, key, 1);
    }
    return this;
  }

  /** Counts a newly stored purchase: in its hour, and for its campaign when attributed. */
  purchase(p: CountedPurchase): this {
    const ms = p.ts.getTime();
    this.bump(ms, "purchase", 1);
    for (const [k, v] of Object.entries(revenueDelta("rev", p.currency, p.amount))) this.bump(ms, k, v);
    if (p.campaign === null) return this;
    this.bump(ms, "conversion", 1);
    for (const [k, v] of Object.entries(revenueDelta("arev", p.currency, p.amount))) this.bump(ms, k, v);
    const cd = this.campaign(p.campaign);
    inc(cd.counts, "conversion", 1);
    for (const [k, v] of Object.entries(revenueDelta("rev", p.currency, p.amount))) inc(cd.counts, k, v);
    return this;
  }

  build(): Deltas {
    return {
      hours: [...this.hours].map(([h, { counts, seconds }]) => ({
        hour: new Date(h),
        counts,
        seconds: [...seconds.values()].flatMap((bySecond) => [...bySecond.values()]),
      })),
      campaigns: [...this.campaigns.values()],
      links: new Map([...this.links].map(([c, byUrl]) => [c, [...byUrl.values()]])),
    };
  }

  private bump(ms: number, key: string, by: number): void {
    if (by === 0) return;
    const hour = floorHour(ms);
    let h = this.hours.get(hour);
    if (!h) this.hours.set(hour, (h = { counts: {}, seconds: new Map() }));
    inc(h.counts, key, by);
    const second = Math.floor((ms - hour) / 1000);
    let bySecond = h.seconds.get(key);
    if (!bySecond) h.seconds.set(key, (bySecond = new Map()));
    const s = bySecond.get(second);
    if (s) s.n = plus(s.n, by);
    else bySecond.set(second, { key, second, n: by });
  }

  private campaign(id: string): CampaignDelta {
    let cd = this.campaigns.get(id);
    if (!cd) this.campaigns.set(id, (cd = { campaignId: id, counts: {}, timeline: new Map() }));
    return cd;
  }

  private link(campaignId: string, url: string): LinkDelta {
    let byUrl = this.links.get(campaignId);
    if (!byUrl) this.links.set(campaignId, (byUrl = new Map()));
    let l = byUrl.get(url);
    if (!l) byUrl.set(url, (l = { url, clicks: 0, uniques: 0 }));
    return l;
  }
}

function inc(counts: Partial<Counts>, key: string, by: number): void {
  // Exact past 2^53: a rebuild sums a page of up to 5,000 purchases of up to 10^15 units each.
  counts[key] = plus(counts[key] ?? 0, by);
}
