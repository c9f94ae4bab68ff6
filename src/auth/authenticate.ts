import { Code, ConnectError } from "@connectrpc/connect";
import { KEY_PATTERN, type ApiKeyInfo, type ApiKeyStore, type Scope } from "../storage/api-keys.js";
import type { Caller } from "./context.js";

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
  if (!header) throw new ConnectError("missing API key: send Authorization: Bearer msk_…", Code.Unauthenticated);
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m || !KEY_PATTERN.test(m[1]!)) {
    throw new ConnectError("malformed API key: expected Authorization: Bearer msk_…", Code.Unauthenticated);
  }
  return m[1]!;
}

/** The caller a looked-up key stands for, if it is live and has the scope. */
export function callerFor(key: ApiKeyInfo | undefined, needed: Scope): Caller {
  if (!key) throw unknownKey();
  if (!key.scopes.includes(needed)) {
    throw new ConnectError(`this API key lacks the "${needed}" scope`, Code.PermissionDenied);
  }
  return { account: key.account, keyId: key.id, scopes: key.scopes };
}

export const unknownKey = () => new ConnectError("unknown or revoked API key", Code.Unauthenticated);
