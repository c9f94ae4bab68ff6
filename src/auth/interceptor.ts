import type { Interceptor } from "@connectrpc/connect";
import type { ApiKeyStore, Scope } from "../storage/api-keys.js";
import { authenticate } from "./authenticate.js";
import { callerKey } from "./context.js";

/** The scope each service requires. Services not listed here (health) need no key. */
export type ScopeMap = ReadonlyMap<string, Scope>;

/**
 * Makes sure every call to a scoped service has a caller, for every protocol, REST included.
 * The server's gate (`src/server/gate.ts`) normally authenticated the call before its body was
 * read and put the caller in the context; a call that reaches this point without one (a path
 * past the gate) is authenticated here.
 */
export function authInterceptor(keys: ApiKeyStore, scopes: ScopeMap): Interceptor {
  return (next) => async (req) => {
    const needed = scopes.get(req.service.typeName);
    if (needed === undefined || req.contextValues.get(callerKey)) return next(req);
    req.contextValues.set(callerKey, await authenticate(keys, req.header.get("authorization"), needed));
    return next(req);
  };
}
