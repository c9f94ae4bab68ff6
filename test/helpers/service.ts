import { randomBytes } from "node:crypto";
import { credentials, Metadata } from "@grpc/grpc-js";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import { inject } from "vitest";
import { indexIdLookups } from "../../src/db/embedded.js";
import { DEFAULT_COUNT_DELAY_MS } from "../../src/config.js";
import { silentLogger, type Logger } from "../../src/log.js";
import { DEFAULT_LIMITS, type ServerLimits } from "../../src/server/limits.js";
import { AnalyticsServer } from "../../src/server/server.js";
import type { Scope } from "../../src/storage/api-keys.js";
import { Store } from "../../src/storage/store.js";
import { AnalyticsServiceClient } from "../../gen/ts-proto/misar/analytics/v1/analytics_service.js";
import { IngestServiceClient } from "../../gen/ts-proto/misar/analytics/v1/ingest_service.js";
import { TrackServiceClient } from "../../gen/ts-proto/misar/analytics/v1/track_service.js";

/** A real server on a loopback port over its own fresh database. */
export interface TestService {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT, for gRPC clients */
  addr: string;
  port: number;
  store: Store;
  /** Issues a key (all scopes by default) for an account. */
  createKey(account: string, scopes?: Scope[]): Promise<string>;
  /** A fresh account id with a key of all scopes. */
  newAccount(): Promise<{ account: string; key: string }>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** A fixed clock for the handlers (period presets, "now" defaults, future checks). */
  now?: Date;
  /** Limits other than the defaults (small timeouts keep timeout tests short). */
  limits?: Partial<ServerLimits>;
  /** The server's logger (silent by default). */
  log?: Logger;
  /** How long counting may trail a batch's 200 (default: the service's, DEFAULT_COUNT_DELAY_MS). */
  countDelayMs?: number;
  /** LEASE_TTL_MS (default: the service's). */
  leaseTtlMs?: number;
  /** Another service's database, for a second instance on it (default: a fresh one). */
  database?: string;
}

export async function startService(opts: StartOptions = {}): Promise<TestService> {
  const database = opts.database ?? `t_${randomBytes(6).toString("hex")}`;
  const store = await Store.open(inject("mongoUri"), database, { countDelayMs: opts.countDelayMs ?? DEFAULT_COUNT_DELAY_MS, leaseTtlMs: opts.leaseTtlMs });
  // As `npm start` does on its embedded FerretDB, so tests meet the same cost model.
  if (inject("ferretdbDataDir")) await indexIdLookups(process.cwd(), inject("ferretdbDataDir"), database);
  const server = await AnalyticsServer.create({
    store,
    log: opts.log ?? silentLogger,
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    host: "127.0.0.1",
    port: 0,
    root: process.cwd(),
    now: opts.now ? () => new Date(opts.now!.getTime()) : undefined,
  });
  const createKey = async (account: string, scopes: Scope[] = ["analytics", "track", "ingest"]) =>
    (await store.keys.create(account, scopes, new Date())).key;
  return {
    url: `http://127.0.0.1:${server.port}`,
    addr: `127.0.0.1:${server.port}`,
    port: server.port,
    store,
    createKey,
    async newAccount() {
      const account = `acct_${randomBytes(4).toString("hex")}`;
      return { account, key: await createKey(account) };
    },
    async close() {
      await server.close(1000);
      await store.db.dropDatabase().catch(() => undefined);
      await store.close();
    },
  };
}

/** Connect protocol clients (JSON over HTTP/1.1 by default). */
export function connectTransport(svc: TestService, opts: { binary?: boolean; http2?: boolean } = {}): Transport {
  return createConnectTransport({
    baseUrl: svc.url,
    httpVersion: opts.http2 ? "2" : "1.1",
    useBinaryFormat: opts.binary ?? false,
  });
}

/** gRPC over h2c through connect-node (the grpc-js stubs are below). */
export function grpcTransport(svc: TestService): Transport {
  return createGrpcTransport({ baseUrl: svc.url });
}

export function client<T extends DescService>(service: T, transport: Transport): Client<T> {
  return createClient(service, transport);
}

export function bearer(key: string): { headers: { authorization: string } } {
  return { headers: { authorization: `Bearer ${key}` } };
}

/** @grpc/grpc-js clients from the ts-proto stubs. */
export function grpcJsClients(svc: TestService) {
  const c = credentials.createInsecure();
  return {
    analytics: new AnalyticsServiceClient(svc.addr, c),
    track: new TrackServiceClient(svc.addr, c),
    ingest: new IngestServiceClient(svc.addr, c),
  };
}

export function grpcMetadata(key: string): Metadata {
  const md = new Metadata();
  md.set("authorization", `Bearer ${key}`);
  return md;
}

/** Calls a grpc-js unary method as a promise. */
export function grpcCall<Req, Res>(
  fn: (req: Req, md: Metadata, cb: (err: Error | null, res: Res) => void) => unknown,
  self: object,
  req: Req,
  md: Metadata,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn.call(self, req, md, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** REST with plain fetch. */
export async function rest(
  svc: TestService,
  method: string,
  path: string,
  opts: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  // `any`: tests index freely into response bodies they then compare field by field.
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  }
  const res = await fetch(svc.url + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}
