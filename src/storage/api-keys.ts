import { createHash, randomBytes } from "node:crypto";
import type { Collection, Db } from "mongodb";
import { prepareCollection } from "./indexes.js";
import type { Capabilities } from "./capabilities.js";

export const SCOPES = ["analytics", "track", "ingest"] as const;
export type Scope = (typeof SCOPES)[number];

/** The shape of every key we issue: `msk_` and 32 base64url characters (192 random bits). */
export const KEY_PATTERN = /^msk_[A-Za-z0-9_-]{32}$/;

/** `api_keys`: keys by the SHA-256 of their text; the key itself is never stored. */
interface ApiKeyDoc {
  _id: string;
  /** Short public id for listing and revoking, e.g. `key_1a2b3c4d`. */
  id: string;
  a: string;
  scopes: Scope[];
  createdAt: Date;
  revokedAt: Date | null;
  /** The key's first characters, to recognise it in a list. */
  hint: string;
}

export interface ApiKeyInfo {
  id: string;
  account: string;
  scopes: Scope[];
  createdAt: Date;
  revokedAt?: Date;
  hint: string;
}

/**
 * How long a key found live is trusted without reading it again. Every keyed request used to
 * read its key (a round trip and ~1 ms of the service's CPU: bench/hostile.ts); a revocation
 * made in this process applies at once, one made elsewhere (the CLI, another instance) within
 * this time.
 */
export const KEY_CACHE_MS = 1000;
/** Live keys remembered at once; the oldest are forgotten first. */
const KEY_CACHE_SIZE = 10_000;

export class ApiKeyStore {
  private readonly col: Collection<ApiKeyDoc>;
  /** Live keys by hash, with when each must be read again. */
  private readonly live = new Map<string, { info: ApiKeyInfo; until: number }>();
  constructor(db: Db) {
    this.col = db.collection<ApiKeyDoc>("api_keys");
  }

  async ensureIndexes(caps: Capabilities): Promise<void> {
    await prepareCollection(this.col, caps, [{ name: "id", key: { id: 1 }, unique: true }]);
  }

  /** Issues a key; the returned text is the only copy there will ever be. */
  async create(account: string, scopes: Scope[], now: Date): Promise<{ key: string; info: ApiKeyInfo }> {
    const key = `msk_${randomBytes(24).toString("base64url")}`;
    const doc: ApiKeyDoc = {
      _id: hashKey(key),
      id: `key_${randomBytes(6).toString("hex")}`,
      a: account,
      scopes: [...new Set(scopes)],
      createdAt: now,
      revokedAt: null,
      hint: key.slice(0, 10),
    };
    await this.col.insertOne(doc);
    return { key, info: toInfo(doc) };
  }

  /** Finds the live key with this text; undefined when unknown or revoked. */
  async verify(key: string): Promise<ApiKeyInfo | undefined> {
    const id = hashKey(key);
    const hit = this.live.get(id);
    if (hit && hit.until > Date.now()) return hit.info;
    const doc = await this.col.findOne({ _id: id });
    this.live.delete(id);
    if (!doc || doc.revokedAt) return undefined;
    const info = toInfo(doc);
    this.live.set(id, { info, until: Date.now() + KEY_CACHE_MS });
    if (this.live.size > KEY_CACHE_SIZE) this.live.delete(this.live.keys().next().value!);
    return info;
  }

  async list(account?: string): Promise<ApiKeyInfo[]> {
    const docs = await this.col.find(account ? { a: account } : {}).sort({ createdAt: 1 }).toArray();
    return docs.map(toInfo);
  }

  /** Revokes by public id or by the key's text; false when there is no such key. */
  async revoke(idOrKey: string, now: Date): Promise<boolean> {
    const filter = KEY_PATTERN.test(idOrKey) ? { _id: hashKey(idOrKey) } : { id: idOrKey };
    const r = await this.col.updateOne({ ...filter, revokedAt: null }, { $set: { revokedAt: now } });
    // Revoked here: not trusted from memory a moment longer.
    for (const [h, { info }] of this.live) if (h === filter._id || info.id === filter.id) this.live.delete(h);
    return r.matchedCount === 1;
  }

  async count(): Promise<number> {
    return this.col.countDocuments({});
  }
}

export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

function toInfo(d: ApiKeyDoc): ApiKeyInfo {
  return { id: d.id, account: d.a, scopes: d.scopes, createdAt: d.createdAt, revokedAt: d.revokedAt ?? undefined, hint: d.hint };
}
