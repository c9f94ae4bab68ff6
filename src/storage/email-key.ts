import { createHash } from "node:crypto";

/** A value as it appears inside document ids and field names: 128 bits of its SHA-256, base64url. */
function hashKey(value: string): string {
  return createHash("sha256").update(value).digest("base64url").slice(0, 22);
}

/** A contact's email inside ids: a hash, so ids never carry the address. */
export const emailKey = hashKey;

/** A url inside ids and field names: a hash, since a url may hold `.` and `$` and be 2,048 characters long. */
export const urlKey = hashKey;
