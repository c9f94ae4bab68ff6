import { describe, expect, test } from "vitest";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import { FieldRulesSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { EmailEventSchema, IngestService } from "../../gen/es/misar/analytics/v1/ingest_service_pb.js";
import { TrackService } from "../../gen/es/misar/analytics/v1/track_service_pb.js";
import { RE2JS } from "@bufbuild/re2";
import { compileCelRule, compileFastPath, compileField, fastPath, nativePattern } from "../../src/rpc/contract-fast-path.js";
import { int, mulberry32, pick } from "../read/lib.js";

// The fast path may say "not sure" about a valid event (protovalidate then decides), but it must
// never accept an event protovalidate refuses. Events are fuzzed around every bound of every rule
// of EmailEvent, so each rule is both kept and broken by the edge case (one off either side).

const validator = createValidator();
const refuses = (m: ReturnType<typeof create<typeof EmailEventSchema>>) => validator.validate(EmailEventSchema, m).kind !== "valid";

const str = (n: number, c = "a") => c.repeat(n);
const label = (n: number) => str(n, "b");
const MIN = 946_684_800n; // the contract's gte (2000-01-01)
const MAX = 4_133_980_800n; // its lt (2101-01-01)

const ids = ["", "e-1", str(127), str(128), str(129), "a\x00b", "tab\there", "x\x1f", "x\x7f", "x\x80y", "é".repeat(128), "😀".repeat(64), "😀".repeat(65), "\ud800", "ok\u2028"];
const emails = [
  "",
  "user@example.com",
  "u@e",
  "a.b+c@sub.example.co",
  "@example.com",
  "user@",
  "user",
  "user@@example.com",
  "us er@example.com",
  "user@-example.com",
  "user@example-.com",
  "user@exa_mple.com",
  "user@example..com",
  "user@.example.com",
  "user@example.com.",
  `user@${label(63)}.com`,
  `user@${label(64)}.com`,
  "üser@example.com",
  "user@exämple.com",
  "USER@EXAMPLE.COM",
  "user@example.com\n",
  `${str(244)}@example.c`, // 254
  `${str(245)}@example.c`, // 255
  `${str(243)}@${label(10)}`, // 254 with a 10-char host
];
const campaigns = ["", "camp_01", "A-z_9", str(64, "c"), str(65, "c"), "bad id", "camp.1", "camp/1", "é", "c\n"];
const urls = ["", "https://example.com/a", str(2048, "u"), str(2049, "u"), "😀".repeat(1024), "😀".repeat(1025)];
const agents = ["", "Mozilla/5.0", str(512), str(513)];
const seconds = [MIN - 1n, MIN, MIN + 1n, 1_775_000_000n, MAX - 1n, MAX, MAX + 1n, 0n, -62_135_596_801n, 253_402_300_800n, 10n ** 15n];
const nanos = [0, 1, 999_999_999, 1_000_000_000, -1];

function event(rng: () => number): MessageInitShape<typeof EmailEventSchema> {
  // Mostly one valid event with one or two fields moved to an edge, so every rule gets hit alone.
  const e: MessageInitShape<typeof EmailEventSchema> = {
    id: `e-${int(rng, 0, 1e6)}`,
    type: pick(rng, [1, 2, 3, 4, 6, 7]),
    contactEmail: "user@example.com",
    timestamp: { seconds: 1_775_000_000n, nanos: 0 },
    campaignId: "camp_01",
  };
  const edges = int(rng, 0, 3);
  for (let i = 0; i < edges; i++) {
    switch (int(rng, 0, 10)) {
      case 0: e.id = pick(rng, ids); break;
      case 1: e.type = int(rng, -1, 9); break;
      case 2: e.contactEmail = pick(rng, emails); break;
      case 3: e.timestamp = rng() < 0.1 ? undefined : { seconds: pick(rng, seconds), nanos: pick(rng, nanos) }; break;
      case 4: e.campaignId = pick(rng, campaigns); break;
      case 5: e.bounceType = int(rng, -1, 4); break;
      case 6: e.url = pick(rng, urls); break;
      case 7: e.userAgent = pick(rng, agents); break;
      case 8: e.machine = rng() < 0.5; break;
      case 9: e.type = 5; e.bounceType = pick(rng, [0, 1, 2]); break;
      case 10: e.type = pick(rng, [3, 4]); e.url = pick(rng, urls); e.machine = rng() < 0.5; break;
    }
  }
  return e;
}

describe("the contract's fast path (src/rpc/contract-fast-path.ts)", () => {
  test("never accepts an email event protovalidate refuses; accepts every valid one without astral or lone-surrogate text", () => {
    const check = fastPath(EmailEventSchema)!;
    expect(check).toBeTypeOf("function");
    const rng = mulberry32(1313);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 30_000; i++) {
      const m = create(EmailEventSchema, event(rng));
      const fast = check(m);
      const bad = refuses(m);
      if (fast && bad) expect.fail(`fast path accepted an event protovalidate refuses: ${JSON.stringify(m, (_, v) => (typeof v === "bigint" ? `${v}` : v))}`);
      // Where it is conservative on purpose: lengths counted in UTF-16 units (astral text), and
      // nanos outside 0..999,999,999 (left to protovalidate's own handling).
      const plainText = ![m.id, m.url, m.contactEmail].some((s) => /[\ud800-\udfff]/.test(s));
      const plainNanos = !m.timestamp || (m.timestamp.nanos >= 0 && m.timestamp.nanos < 1e9);
      if (!bad && plainText && plainNanos) expect(fast, JSON.stringify({ ...m, id: m.id.slice(0, 20), url: m.url.length }, (_, v) => (typeof v === "bigint" ? `${v}` : v))).toBe(true);
      if (fast) accepted++;
      if (bad) refused++;
    }
    // Both sides are well exercised (the test would be empty otherwise).
    expect(accepted).toBeGreaterThan(5_000);
    expect(refused).toBeGreaterThan(5_000);
  });

  test("EmailEvent has a fast path: a rule added to it that the fast path does not understand fails here", () => {
    expect(compileFastPath(EmailEventSchema)).toHaveProperty("check");
  });

  test("every input type either compiles or names the rule it does not understand", () => {
    for (const m of [IngestService, TrackService].flatMap((s) => s.methods.map((x) => x.input))) {
      const c = compileFastPath(m);
      if ("unsupported" in c) expect(c.unsupported).toMatch(new RegExp(`^${m.typeName.replace(/\./g, "\\.")}: `));
    }
  });

  test("a rule kind it does not understand makes it refuse to compile rather than skip the rule", () => {
    const url = EmailEventSchema.field.url;
    const stamp = EmailEventSchema.field.timestamp;
    const field = (rules: MessageInitShape<typeof FieldRulesSchema>, f = url) => () => compileField(f, create(FieldRulesSchema, rules));
    expect(field({ type: { case: "string", value: { maxLen: 5n } } })).not.toThrow();
    expect(field({ type: { case: "string", value: { prefix: "https://" } } })).toThrow(/prefix/);
    expect(field({ type: { case: "string", value: { wellKnown: { case: "uri", value: true } } } })).toThrow(/uri/);
    expect(field({ cel: [{ id: "x", expression: "size(this) > 1" }] })).toThrow(/cel/);
    expect(field({ type: { case: "timestamp", value: { within: { seconds: 60n } } } }, stamp)).toThrow(/within/);
    expect(field({ type: { case: "timestamp", value: { lessThan: { case: "ltNow", value: true } } } }, stamp)).toThrow(/lt_now/);
    expect(() => compileCelRule("this.url.startsWith('https')", EmailEventSchema)).toThrow(/startsWith/);
    expect(() => compileCelRule("size(this.url) < 10", EmailEventSchema)).toThrow(/size/);
    expect(() => compileCelRule("this.type == 'open'", EmailEventSchema)).toThrow(/mixed types/);
    expect(() => compileCelRule("this.timestamp > now", EmailEventSchema)).toThrow();
    expect(() => compileCelRule("this.type in [1, 2] && this.url == ''", EmailEventSchema)).not.toThrow();
  });

  test("a pattern it matches with JavaScript's engine decides every string as RE2 does; any other syntax stays with RE2", () => {
    // The contract's patterns on the email-event path and the currency's, and a few more in the subset.
    const patterns = ["^[A-Za-z0-9_-]{1,64}$", "^[^\\x00-\\x1f\\x7f]*$", "^[A-Za-z]{3}$", "^ab[x-z-]+c$", "^[^a-c]{2,3}$", "^a{0}b$", "^-[_]?$"];
    const rng = mulberry32(11);
    const alphabet = ["a", "b", "c", "x", "Z", "0", "9", "_", "-", ".", " ", "\x00", "\x1f", "\x7f", "\x80", "é", "😀", "\n", "\u2028", "\ud800"];
    const strings = ["", ...Array.from({ length: 3000 }, () => Array.from({ length: int(rng, 0, 8) }, () => pick(rng, alphabet)).join("")), str(64), str(65), "ab".repeat(40)];
    for (const p of patterns) {
      const native = nativePattern(p);
      expect(native, p).toBeDefined();
      const re2 = RE2JS.compile(p);
      for (const v of strings) {
        if (/[\ud800-\udfff]/.test(v.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ""))) continue; // lone surrogates stay with RE2
        expect(native!.test(v), `${p} on ${JSON.stringify(v)}`).toBe(re2.test(v));
      }
    }
    // Outside the subset: other syntax; counts RE2 reads as text (a leading zero); groups and
    // alternation, and a second quantifier (V8 would backtrack: `^(a+)+$` takes seconds on 27 characters).
    const refused = ["^a**$", "^a*?$", "^(?i)abc$", "^.*$", "^a\\d$", "^[[:alpha:]]$", "abc", "^abc", "^(a$", "^a)$", "^\\$$", "^a{1001}$", "^[]a]$"];
    refused.push("^a{01}$", "^a{0,05}$", "^(a+)+$", "^(a|a)*$", "^([a-z0-9]+)*$", "^[a-z][a-z0-9]*(_[a-z0-9]+)*$", "^a|b$", "^[a-z]*[a-z]*$");
    for (const p of refused) expect(nativePattern(p), p).toBeUndefined();
  });
});
