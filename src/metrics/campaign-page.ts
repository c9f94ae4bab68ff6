import type { Violations } from "../rpc/errors.js";

/** A campaign as the list orders and filters it. */
export interface Listable {
  id: string;
  /** Registered send time, else the first send event; undefined when neither exists. */
  sentAt?: Date;
  /** Registered status, or "unknown" for a campaign seen only through events. */
  status: string;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** The list's position after an entry: its send time (ms, null when unsent) and id. */
interface Cursor {
  s: number | null;
  i: string;
}

/**
 * List order: campaigns without a send time first (drafts and scheduled ones are the newest
 * work), then newest send time first, ties (and the unsent among themselves) by id.
 */
function compare(a: Cursor, b: Cursor): number {
  if (a.s !== b.s) {
    if (a.s === null) return -1;
    if (b.s === null) return 1;
    return b.s - a.s;
  }
  return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
}

const cursorOf = (c: Listable): Cursor => ({ s: c.sentAt?.getTime() ?? null, i: c.id });

/** The opaque token of the position after `c`. */
function encodeToken(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.s, c.i])).toString("base64url");
}

/** The position a token names; a violation (and undefined) when it is not one this service gave. */
export function decodeToken(v: Violations, token: string): Cursor | undefined {
  if (token === "") return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && (value[0] === null || Number.isSafeInteger(value[0])) && typeof value[1] === "string") {
      return { s: value[0] as number | null, i: value[1] };
    }
  } catch {
    // Reported below.
  }
  v.add("page_token", "must be a next_page_token this service returned");
  return undefined;
}

/**
 * The page after `after` (from the start when undefined): `size` campaigns of the given status
 * (all when undefined), in list order, and the token of the next page ("" on the last page).
 * Costs O(campaigns of the account) in memory, which the list document holds anyway.
 */
export function page<T extends Listable>(all: T[], after: Cursor | undefined, size: number, status: string | undefined): { items: T[]; next: string } {
  const sorted = all.filter((c) => status === undefined || c.status === status).sort((a, b) => compare(cursorOf(a), cursorOf(b)));
  const start = after === undefined ? 0 : sorted.findIndex((c) => compare(cursorOf(c), after) > 0);
  const items = start < 0 ? [] : sorted.slice(start, start + size);
  const more = start >= 0 && start + size < sorted.length;
  return { items, next: more ? encodeToken(cursorOf(items[items.length - 1]!)) : "" };
}
