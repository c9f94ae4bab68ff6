import { createHash } from "node:crypto";

/**
 * A structured JSON logger: one line per record on stderr. Never pass it secrets; as a second
 * line of defence every string it writes is scrubbed (`scrub`), since error messages and request
 * ids can echo whatever a client sent.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const levels = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof levels;

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => process.stderr.write(l + "\n"),
  base: Record<string, unknown> = {},
): Logger {
  const min = levels[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (levels[lvl] < min) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...base, ...fields }, errorReplacer));
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger(level, write, { ...base, ...fields }),
  };
}

/** A logger that drops everything (tests, CLIs). */
export const silentLogger: Logger = createLogger("error", () => {});

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: scrub(value.message) };
  if (typeof value === "string") return scrub(value);
  return value;
}

// Anything shaped like an address: text without spaces, quotes or brackets around an @.
const EMAIL_LIKE = /[^\s@"'<>(),;:\\\[\]]+@[^\s@"'<>(),;:\\\[\]]+/g;
// Our keys (msk_ and what follows, even cut short), bearer credentials, and long token-like runs
// (a key's secret part pasted without its prefix); UUIDs (request ids) are kept.
const KEY_LIKE = /msk_[A-Za-z0-9_-]*|(?<=bearer\s+)\S+|(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])/gi;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Removes email addresses and key material from text bound for the log: an address becomes a
 * short hash (the same address, the same hash, so a log can still be followed), key material
 * becomes `<redacted>`.
 */
export function scrub(text: string): string {
  if (text.length === 0) return text;
  return text
    .replace(EMAIL_LIKE, (m) => `<email:${createHash("sha256").update(m.toLowerCase()).digest("hex").slice(0, 10)}>`)
    .replace(KEY_LIKE, (m) => (UUID.test(m) ? m : "<redacted>"));
}

/** Masks an email address for logs: keeps the domain, hides the local part. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  return at < 0 ? "***" : `***${email.slice(at)}`;
}
