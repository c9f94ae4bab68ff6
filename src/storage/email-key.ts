import { createHash } from "node:crypto";

/** A contact's email as it appears inside document ids: a hash, so ids never carry the address. */
export function emailKey(email: string): string {
  return createHash("sha256").update(email).digest("base64url").slice(0, 22);
}
