import type { Violations } from "../rpc/errors.js";
import type { ListPosition } from "../storage/campaign-list.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** The opaque token of the position after an entry: its send time (ms, null when unsent) and id. */
export function encodeToken(at: ListPosition): string {
  return Buffer.from(JSON.stringify(at)).toString("base64url");
}

/** The position a token names; a violation (and undefined) when it is not one this service gave. */
export function decodeToken(v: Violations, token: string): ListPosition | undefined {
  if (token === "") return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && (value[0] === null || Number.isSafeInteger(value[0])) && typeof value[1] === "string") {
      return [value[0] as number | null, value[1]];
    }
  } catch {
    // Reported below.
  }
  v.add("page_token", "must be a next_page_token this service returned");
  return undefined;
}
