// Every metric of one account read over REST from a running service, and the same computed by the
// reference model (test/read/lib.ts) from the events that must be stored: the fault tests poll
// until the two agree.
import { at, isoSec, refAttribution, refCampaign, refOverview, wire, type Ev } from "../read/lib.js";

/** Overview ranges: whole days, a partial-hour edge on both sides, one second. */
export const RANGES: [string, string][] = [
  ["2026-01-01T00:00:00Z", "2026-04-07T23:59:59Z"],
  ["2026-03-07T00:00:00Z", "2026-04-06T23:59:59Z"],
  ["2026-02-10T07:13:09Z", "2026-03-19T16:44:01Z"],
  ["2026-03-30T00:00:00Z", "2026-03-30T00:00:00Z"],
];

export interface Answer {
  status: number;
  body: any; // the tests compare whole bodies with the reference
}

export async function call(url: string, key: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: await res.json() };
}

export const postEvents = (url: string, key: string, batch: Ev[]) => call(url, key, "POST", "/api/v1/ingest/email-events", { events: batch.map(wire) });

/** The overview over every range and every campaign's metrics and timeline, as read now. */
export async function readAll(url: string, key: string, campaigns: string[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const [f, t] of RANGES) out.push((await call(url, key, "GET", `/api/v1/analytics/overview?from=${f}&to=${t}`)).body);
  for (const id of campaigns) out.push((await call(url, key, "GET", `/api/v1/analytics/campaigns/${id}`)).body);
  return out;
}

/** What readAll must return when exactly `stored` is counted (no campaign registered). */
export function expectedAll(stored: Ev[], campaigns: string[]): unknown[] {
  return [
    ...RANGES.map(([f, t]) => ({ success: true, period: { from: isoSec(at(f)), to: isoSec(at(t)) }, metrics: refOverview(stored, at(f), at(t)) })),
    ...campaigns.map((id) => refCampaign(stored, id)),
  ];
}

/** Polls readAll until it equals the reference; returns how long that took (throws after `maxMs`). */
export async function converge(url: string, key: string, stored: Ev[], campaigns: string[], maxMs: number): Promise<number> {
  const want = expectedAll(stored, campaigns);
  const started = performance.now();
  let got: unknown[] = [];
  while (performance.now() - started < maxMs) {
    got = await readAll(url, key, campaigns);
    if (JSON.stringify(got) === JSON.stringify(want)) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 200));
  }
  const differ = want.map((w, i) => [i, JSON.stringify(got[i]), JSON.stringify(w)]).filter(([, g, w]) => g !== w);
  throw new Error(`metrics did not converge in ${maxMs} ms; differing reads (index, got, want):\n${differ.map((d) => d.join("\n")).join("\n").slice(0, 4000)}`);
}

/**
 * Purchase attribution, black box: one TrackPurchase an hour after each click given (new order
 * ids), compared with the reference over `stored`.
 */
export async function checkAttribution(url: string, key: string, account: string, stored: Ev[], clicks: Ev[], tag: string): Promise<{ got: (string | null)[]; want: (string | null)[] }> {
  const got: (string | null)[] = [];
  const want: (string | null)[] = [];
  for (const [i, c] of clicks.entries()) {
    const ms = c.ms + 3_600_000;
    const r = await call(url, key, "POST", "/api/v1/track/purchase", {
      contact_email: c.contact_email,
      amount: 1,
      currency: "USD",
      order_id: `${tag}-${i}`,
      timestamp: new Date(ms).toISOString(),
    });
    // undefined: two campaigns' clicks tie for latest, which the service breaks by event id.
    const ref = refAttribution(stored, c.contact_email, ms);
    const tie = `tie (the greater event id of ${account} wins)`;
    got.push(ref === undefined ? tie : r.status === 200 ? r.body.attributed_campaign_id : `status ${r.status}`);
    want.push(ref === undefined ? tie : ref);
  }
  return { got, want };
}
