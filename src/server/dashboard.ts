import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { extname, join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Logger } from "../log.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/**
 * The page may run only its own bundled script and stylesheet and talk only to this server: no
 * inline script or style, no other origin, no framing. (uPlot styles its elements through the
 * CSSOM, which style-src does not restrict.)
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

/** Hashed assets never change under their name: browsers may keep them for a year. */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** index.html names the current assets, so it is revalidated every time (a 304 when unchanged). */
const REVALIDATE = "no-cache";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

interface File {
  body: Buffer;
  gzip: Buffer | undefined;
  type: string;
  etag: string;
  cacheControl: string;
}

/** Serves a GET/HEAD request for the dashboard; false when the path is not the dashboard's. */
export type DashboardHandler = (req: Req, res: Res, path: string) => boolean;

/**
 * The dashboard's static files (dist/web, built by `npm run build`), read once at startup and kept
 * in memory with their gzip forms: a few files of tens of kilobytes.
 */
export function dashboardHandler(dir: string, log: Logger): DashboardHandler {
  const files = loadFiles(dir);
  if (!files.has("/")) log.warn("dashboard not built: GET / answers 404 until `npm run build` writes dist/web", { dir });
  return (req, res, path) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const file = files.get(path === "/index.html" ? "/" : path);
    if (!file) {
      if (path !== "/" && !path.startsWith("/assets/")) return false;
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...SECURITY_HEADERS });
      res.end(path === "/" ? "The dashboard is not built: run `npm run build`.\n" : "Not found\n");
      return true;
    }
    const headers: Record<string, string | number> = {
      "content-type": file.type,
      "cache-control": file.cacheControl,
      etag: file.etag,
      vary: "accept-encoding",
      ...SECURITY_HEADERS,
    };
    if (req.headers["if-none-match"] === file.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const gzip = file.gzip && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const body = gzip ? file.gzip! : file.body;
    if (gzip) headers["content-encoding"] = "gzip";
    headers["content-length"] = body.length;
    res.writeHead(200, headers);
    if (req.method === "HEAD") res.end();
    else res.end(body);
    return true;
  };
}

function loadFiles(dir: string): Map<string, File> {
  const files = new Map<string, File>();
  if (!existsSync(join(dir, "index.html"))) return files;
  files.set("/", file(readFileSync(join(dir, "index.html")), ".html", REVALIDATE));
  const assets = join(dir, "assets");
  for (const name of existsSync(assets) ? readdirSync(assets) : []) {
    const type = extname(name);
    if (TYPES[type]) files.set(`/assets/${name}`, file(readFileSync(join(assets, name)), type, IMMUTABLE));
  }
  return files;
}

function file(body: Buffer, ext: string, cacheControl: string): File {
  const gzip = body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined;
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
  return { body, gzip, type: TYPES[ext]!, etag, cacheControl };
}
