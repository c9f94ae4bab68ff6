import { hashKey } from "../storage/api-keys.js";

/** How many key hashes each side remembers; the oldest is forgotten first. */
const REMEMBERED = 10_000;

/**
 * What this process has lately learnt about key texts, by hash (never the text): keys found live
 * and keys found unknown or revoked. A key that was unknown or revoked stays so (keys are 192
 * random bits and a revoked key is never restored), so a refused key is refused again without a
 * database read; a key found live is still verified on every request (ApiKeyStore reads it again
 * at least once a second, so a revocation applies), but it is let through to that check without
 * first spending the client address's unauthenticated budget (src/server/gate.ts).
 */
export class KeyMemory {
  private readonly live = new Set<string>();
  private readonly refused = new Set<string>();

  /** "live", "refused", or undefined for a key not seen lately. */
  recall(key: string): "live" | "refused" | undefined {
    const h = hashKey(key);
    if (this.refused.has(h)) return "refused";
    return this.live.has(h) ? "live" : undefined;
  }

  remember(key: string, live: boolean): void {
    const h = hashKey(key);
    if (live) add(this.live, h);
    else {
      this.live.delete(h);
      add(this.refused, h);
    }
  }
}

/** Adds to an insertion-ordered set of at most REMEMBERED entries. */
function add(set: Set<string>, h: string): void {
  set.delete(h);
  set.add(h);
  if (set.size > REMEMBERED) set.delete(set.values().next().value!);
}
