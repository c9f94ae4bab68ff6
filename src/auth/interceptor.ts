import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { KEY_PATTERN, type ApiKeyStore, type Scope } from "../storage/api-keys.js";
import { callerKey } from "./context.js";

/** The scope each service requires. Services not listed here (health) need no key. */
export type ScopeMap = ReadonlyMap<string, Scope>;

/**
 * Authenticates `Authorization: Bearer msk_…` (gRPC metadata `authorization`) for every
 * protocol, REST included, and checks the service's scope: missing, malformed, unknown or
 * revoked keys are UNAUTHENTICATED, a key without the scope is PERMISSION_DENIED.
 */
export function authInterceptor(keys: ApiKeyStore, scopes: ScopeMap): Interceptor {
  return (next) => async (req) => {
    const needed = scopes.get(req.service.typeName);
    if (needed === undefined) return next(req);
    const header = req.header.get("authorization");
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
    req.contextValues.set(callerKey, { account: key.account, keyId: key.id, scopes: key.scopes });
    return next(req);
  };
}
