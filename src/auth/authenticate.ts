import { Code, ConnectError } from "@connectrpc/connect";
import { KEY_PATTERN, type ApiKeyStore, type Scope } from "../storage/api-keys.js";
import type { Caller } from "./context.js";

/**
 * Checks `Authorization: Bearer msk_…` for a service's scope, from the header alone: missing,
 * malformed, unknown or revoked keys are UNAUTHENTICATED, a key without the scope is
 * PERMISSION_DENIED. A malformed header costs no database read.
 */
export async function authenticate(keys: ApiKeyStore, header: string | null | undefined, needed: Scope): Promise<Caller> {
  if (!header) throw new ConnectError("missing API key: send Authorization: Bearer msk_…", Code.Unauthenticated);
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m || !KEY_PATTERN.test(m[1]!)) {
    throw new ConnectError("malformed API key: expected Authorization: Bearer msk_…", Code.Unauthenticated);
  }
  const key = await keys.verify(m[1]!);
  if (!key) throw new ConnectError("unknown or revoked API key", Code.Unauthenticated);
  if (!key.scopes.includes(needed)) {
    throw new ConnectError(`this API key lacks the "${needed}" scope`, Code.PermissionDenied);
  }
  return { account: key.account, keyId: key.id, scopes: key.scopes };
}
