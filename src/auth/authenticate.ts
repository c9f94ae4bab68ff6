import { Code, ConnectError } from "@connectrpc/connect";
import { KEY_PATTERN, type ApiKeyInfo, type ApiKeyStore, type Scope } from "../storage/api-keys.js";
import type { Caller } from "./context.js";

// The refusals every keyless or key-guessing request gets, made once: building a ConnectError
// (a stack trace, a Headers object) was the largest JavaScript item of a 401's CPU in a profile
// of bench/hostile.ts, and nothing changes these after they are thrown.
const MISSING_KEY = new ConnectError("missing API key: send Authorization: Bearer msk_…", Code.Unauthenticated);
const MALFORMED_KEY = new ConnectError("malformed API key: expected Authorization: Bearer msk_…", Code.Unauthenticated);
const UNKNOWN_KEY = new ConnectError("unknown or revoked API key", Code.Unauthenticated);

/**
 * Checks `Authorization: Bearer msk_…` for a service's scope, from the header alone: missing,
 * malformed, unknown or revoked keys are UNAUTHENTICATED, a key without the scope is
 * PERMISSION_DENIED. A malformed header costs no database read.
 */
export async function authenticate(keys: ApiKeyStore, header: string | null | undefined, needed: Scope): Promise<Caller> {
  const key = keyFromHeader(header);
  return callerFor(await keys.verify(key), needed);
}

/** The key text of a well-formed `Authorization` header; UNAUTHENTICATED otherwise. */
export function keyFromHeader(header: string | null | undefined): string {
  if (!header) throw MISSING_KEY;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m || !KEY_PATTERN.test(m[1]!)) throw MALFORMED_KEY;
  return m[1]!;
}

/** The caller a looked-up key stands for, if it is live and has the scope. */
export function callerFor(key: ApiKeyInfo | undefined, needed: Scope): Caller {
  if (!key) throw UNKNOWN_KEY;
  if (!key.scopes.includes(needed)) {
    throw new ConnectError(`this API key lacks the "${needed}" scope`, Code.PermissionDenied);
  }
  return { account: key.account, keyId: key.id, scopes: key.scopes };
}

export const unknownKey = () => UNKNOWN_KEY;
