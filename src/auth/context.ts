import { Code, ConnectError, createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Scope } from "../storage/api-keys.js";

/** Who is calling: set by the auth interceptor, read by every handler. */
export interface Caller {
  account: string;
  keyId: string;
  scopes: readonly Scope[];
}

export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "authenticated caller" });

/** The caller's account; every read and write is confined to it. */
export function accountOf(ctx: HandlerContext): string {
  const caller = ctx.values.get(callerKey);
  // The interceptor rejects unauthenticated calls before any handler runs.
  if (!caller) throw new ConnectError("missing credentials", Code.Unauthenticated);
  return caller.account;
}
