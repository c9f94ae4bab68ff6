import { getOption, isFieldSet, ScalarType, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { parse } from "@bufbuild/cel";
import { RE2JS } from "@bufbuild/re2";
import {
  EnumRulesSchema,
  FieldRulesSchema,
  Ignore,
  MessageRulesSchema,
  StringRulesSchema,
  TimestampRulesSchema,
  field as fieldRules,
  message as messageRules,
  type EnumRules,
  type FieldRules,
  type StringRules,
  type TimestampRules,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

/**
 * A fast "surely valid" check of one message type, compiled at startup from the same
 * `buf.validate` rules protovalidate enforces (read from the descriptor, never restated here).
 *
 * Why: protovalidate evaluates the contract's message-level rules and timestamp ranges through
 * its CEL interpreter, ~20 µs of CPU per email event (bench/validation.ts), half of an ingest
 * request's own work. The rules themselves are simple comparisons, which this module turns into
 * plain closures.
 *
 * It only ever answers "valid" or "not sure": whenever it says "not sure" (any rule broken, any
 * value near an edge it does not model exactly) the caller runs protovalidate, which stays the
 * reference and words every violation. A rule kind it does not understand (any field of the
 * rules messages it does not handle, a CEL expression outside its small subset, a nested
 * message, a list) gives the whole type no fast path at all, so a rule added to the protos can
 * never be skipped silently. test/write/contract-fast-path.test.ts proves on fuzzed events that
 * it never accepts what protovalidate refuses.
 */
export type FastPath = (message: Message) => boolean;

export type Compiled = { check: FastPath } | { unsupported: string };

const cache = new WeakMap<DescMessage, FastPath | null>();

/** The type's fast path, compiled once; undefined when some rule of the type is not understood. */
export function fastPath(schema: DescMessage): FastPath | undefined {
  let f = cache.get(schema);
  if (f === undefined) {
    const c = compileFastPath(schema);
    f = "check" in c ? c.check : null;
    cache.set(schema, f);
  }
  return f ?? undefined;
}

class Unsupported extends Error {}

function unsupported(why: string): never {
  throw new Unsupported(why);
}

type Record_ = Record<string, unknown>;
type Check = (m: Record_) => boolean;

/** Compiles the type's rules, or says which rule it does not understand. */
export function compileFastPath(schema: DescMessage): Compiled {
  try {
    const checks: Check[] = [...schema.fields.map((f) => compileField(f, getOption(f, fieldRules))), ...compileMessageRules(schema)];
    return { check: (m) => checks.every((c) => c(m as unknown as Record_)) };
  } catch (e) {
    if (e instanceof Unsupported) return { unsupported: `${schema.typeName}: ${e.message}` };
    throw e;
  }
}

/** Fails unless every field set in `rules` is one of `known` (and no extension is set). */
function onlyKnown(rules: Message & { $unknown?: unknown[] }, schema: DescMessage, known: readonly string[], where: string): void {
  if (rules.$unknown && rules.$unknown.length > 0) unsupported(`${where}: an extension rule`);
  for (const f of schema.fields) {
    if (isFieldSet(rules, f) && !known.includes(f.name)) unsupported(`${where}: rule ${schema.name}.${f.name}`);
  }
}

function compileMessageRules(schema: DescMessage): Check[] {
  const rules = getOption(schema, messageRules);
  onlyKnown(rules, MessageRulesSchema, ["cel"], schema.name);
  if (schema.oneofs.length > 0) unsupported(`${schema.name}: a oneof`);
  return rules.cel.map((rule) => compileCelRule(rule.expression, schema));
}

/** A message-level CEL rule (`this` is the message) as a check; throws if outside the subset. */
export function compileCelRule(expression: string, schema: DescMessage): Check {
  const node = compileCel(parse(expression).expr, schema);
  if (node.ty !== "bool") unsupported(`CEL rule ${expression} is not a bool`);
  return node.ev as Check;
}

/** A field's rules as one check of the message. */
export function compileField(field: DescField, rules: FieldRules): Check {
  const where = field.name;
  onlyKnown(rules, FieldRulesSchema, ["required", "ignore", "string", "enum", "timestamp"], where);
  if (field.oneof) unsupported(`${where}: in a oneof`);
  if (rules.ignore === Ignore.ALWAYS) return () => true;
  if (rules.ignore !== Ignore.UNSPECIFIED && rules.ignore !== Ignore.IF_ZERO_VALUE) unsupported(`${where}: ignore ${rules.ignore}`);
  const key = field.localName;
  if (field.fieldKind === "message") {
    if (field.message.typeName !== "google.protobuf.Timestamp") unsupported(`${where}: a nested message`);
    const type = rules.type.case;
    if (type !== undefined && type !== "timestamp") unsupported(`${where}: ${type} rules on a timestamp`);
    const range = type === "timestamp" ? timestampCheck(rules.type.value as TimestampRules, where) : () => true;
    // An unset timestamp is valid unless required; "not sure" is always safe.
    return (m) => {
      const v = m[key] as Timestamp | undefined;
      return v !== undefined && range(v);
    };
  }
  if (field.fieldKind !== "scalar" && field.fieldKind !== "enum") unsupported(`${where}: a ${field.fieldKind}`);
  if (!rules.required && rules.type.case === undefined) return () => true;
  if (field.presence !== 2 /* IMPLICIT: the property is never undefined */) unsupported(`${where}: explicit presence`);
  const zero = zeroOf(field);
  let valueCheck: (v: never) => boolean;
  switch (rules.type.case) {
    case undefined:
      valueCheck = () => true;
      break;
    case "string":
      if (field.fieldKind !== "scalar" || field.scalar !== ScalarType.STRING) unsupported(`${where}: string rules on another type`);
      valueCheck = stringCheck(rules.type.value as StringRules, where);
      break;
    case "enum":
      if (field.fieldKind !== "enum") unsupported(`${where}: enum rules on another type`);
      valueCheck = enumCheck(rules.type.value as EnumRules, field.enum.values.map((v) => v.number), where);
      break;
    default:
      unsupported(`${where}: ${rules.type.case} rules`);
  }
  const required = rules.required;
  const ignoreZero = rules.ignore === Ignore.IF_ZERO_VALUE;
  return (m) => {
    const v = m[key];
    if (v === zero) return !required && (ignoreZero || valueCheck(v as never));
    return valueCheck(v as never);
  };
}

function zeroOf(field: DescField): unknown {
  if (field.fieldKind === "enum") return 0;
  switch (field.fieldKind === "scalar" ? field.scalar : undefined) {
    case ScalarType.STRING:
      return "";
    case ScalarType.BOOL:
      return false;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return 0;
    default:
      return unsupported(`${field.name}: a ${field.fieldKind} of this scalar type`);
  }
}

/** The WHATWG "valid e-mail address", the definition protovalidate's `string.email` implements. */
const EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

function stringCheck(r: StringRules, where: string): (v: string) => boolean {
  onlyKnown(r, StringRulesSchema, ["min_len", "max_len", "pattern", "email"], where);
  const checks: ((v: string) => boolean)[] = [];
  // Lengths count code points; a UTF-16 length within the bound is one (never accepts more).
  if (isFieldSet(r, StringRulesSchema.field.maxLen)) {
    const max = Number(r.maxLen);
    checks.push((v) => v.length <= max);
  }
  if (isFieldSet(r, StringRulesSchema.field.minLen)) {
    const min = Number(r.minLen);
    checks.push((v) => v.length >= min && codePoints(v) >= min);
  }
  if (isFieldSet(r, StringRulesSchema.field.pattern)) {
    // RE2, the engine (and syntax) protovalidate matches `string.pattern` with.
    let re: ReturnType<typeof RE2JS.compile>;
    try {
      re = RE2JS.compile(r.pattern);
    } catch {
      unsupported(`${where}: pattern ${r.pattern}`);
    }
    const native = nativePattern(r.pattern);
    // A lone surrogate (no UTF-8 form) is left to RE2: the engines need not agree on it.
    checks.push(native ? (v) => (LONE_SURROGATE.test(v) ? re.test(v) : native.test(v)) : (v) => re.test(v));
  }
  if (r.wellKnown.case === "email" && r.wellKnown.value) checks.push((v) => EMAIL.test(v));
  return (v) => checks.every((c) => c(v));
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The pattern as a JavaScript RegExp (Unicode mode), when it is written in a small subset of RE2
 * syntax in which both engines decide the same strings, in time linear in the string: `^`, then
 * atoms (a literal ASCII letter, digit, `_` or `-`, or a character class of those and `\xHH`
 * escapes, as ranges, possibly negated), at most one of them quantified (`*`, `+`, `?`, `{m}`,
 * `{m,n}`, counts written without leading zeros, which RE2 reads as literal text), then `$`. No
 * groups or alternation: nested or ambiguous quantifiers make V8 backtrack exponentially (RE2 never
 * does). Why: the contract's patterns for ids, campaign ids, urls and user agents are all in it,
 * and RE2JS (a port of RE2's automata to JavaScript) took about 1.2 ms of CPU per 1,000-event batch
 * of the 35 ms a batch costs this process. Any other pattern keeps RE2.
 */
export function nativePattern(pattern: string): RegExp | undefined {
  const atom = /[A-Za-z0-9_-]|\[\^?(?:(?:[A-Za-z0-9_]|\\x[0-9a-fA-F]{2})(?:-(?:[A-Za-z0-9_]|\\x[0-9a-fA-F]{2}))?|-)+\]/y;
  const quantifier = /[*+?]|\{(?:0|[1-9]\d{0,2})(?:,(?:0|[1-9]\d{0,2}))?\}/y;
  const at = (re: RegExp, i: number) => {
    re.lastIndex = i;
    return re.exec(pattern)?.[0].length ?? 0;
  };
  if (!pattern.startsWith("^") || !pattern.endsWith("$")) return undefined;
  let quantified = false;
  for (let i = 1, n = 0; i < pattern.length - 1; ) {
    if (!(n = at(atom, i))) return undefined;
    i += n;
    if ((n = at(quantifier, i))) {
      if (quantified) return undefined;
      quantified = true;
      i += n;
    }
  }
  try {
    return new RegExp(pattern, "u");
  } catch {
    return undefined;
  }
}

function codePoints(v: string): number {
  let n = 0;
  for (const _ of v) n++;
  return n;
}

function enumCheck(r: EnumRules, defined: number[], where: string): (v: number) => boolean {
  onlyKnown(r, EnumRulesSchema, ["defined_only", "in", "not_in"], where);
  const known = new Set(defined);
  const only = r.in.length > 0 ? new Set(r.in) : undefined;
  const not = new Set(r.notIn);
  return (v) => (!r.definedOnly || known.has(v)) && (!only || only.has(v)) && !not.has(v);
}

function timestampCheck(r: TimestampRules, where: string): (t: Timestamp) => boolean {
  onlyKnown(r, TimestampRulesSchema, ["lt", "lte", "gt", "gte"], where);
  const checks: ((t: Timestamp) => boolean)[] = [
    // Outside protobuf's own range or nanos: left to protovalidate.
    (t) => t.nanos >= 0 && t.nanos < 1e9 && t.seconds >= -62135596800n && t.seconds <= 253402300799n,
  ];
  const bound = (b: Timestamp | undefined, ok: (c: number) => boolean) => {
    if (b) checks.push((t) => ok(compare(t, b)));
  };
  bound(r.lessThan.case === "lt" ? r.lessThan.value : undefined, (c) => c < 0);
  bound(r.lessThan.case === "lte" ? r.lessThan.value : undefined, (c) => c <= 0);
  bound(r.greaterThan.case === "gt" ? r.greaterThan.value : undefined, (c) => c > 0);
  bound(r.greaterThan.case === "gte" ? r.greaterThan.value : undefined, (c) => c >= 0);
  return (t) => checks.every((c) => c(t));
}

function compare(a: Timestamp, b: Timestamp): number {
  if (a.seconds !== b.seconds) return a.seconds < b.seconds ? -1 : 1;
  return a.nanos - b.nanos;
}

// A small, statically typed subset of CEL over `this`'s scalar fields: literals, `this.f`,
// `!`, `&&`, `||`, `==`, `!=`, integer `<`/`<=`/`>`/`>=`, `x in [literals]`, `c ? a : b`.
// In it nothing can fail at run time, so JavaScript's short-circuit operators give CEL's answers.
type CelType = "int" | "string" | "bool";
interface Node {
  ty: CelType;
  ev: (m: Record_) => unknown;
}
type Expr = ReturnType<typeof parse>["expr"];

function compileCel(e: Expr, schema: DescMessage): Node {
  const k = e.exprKind;
  switch (k.case) {
    case "constExpr": {
      const c = k.value.constantKind;
      if (c.case === "int64Value") {
        const n = Number(c.value);
        if (!Number.isSafeInteger(n)) unsupported(`CEL int ${c.value}`);
        return { ty: "int", ev: () => n };
      }
      if (c.case === "stringValue" || c.case === "boolValue") {
        const v = c.value;
        return { ty: c.case === "stringValue" ? "string" : "bool", ev: () => v };
      }
      return unsupported(`CEL constant ${c.case}`);
    }
    case "selectExpr": {
      const s = k.value;
      if (s.testOnly || s.operand?.exprKind.case !== "identExpr" || s.operand.exprKind.value.name !== "this") unsupported("CEL select other than this.field");
      const f = schema.fields.find((x) => x.name === s.field);
      if (!f) return unsupported(`CEL field ${s.field}`);
      if (f.presence !== 2 || f.oneof) unsupported(`CEL field ${s.field} with presence`);
      const key = f.localName;
      const ty = celTypeOf(f);
      return { ty, ev: (m) => m[key] };
    }
    case "callExpr": {
      const c = k.value;
      if (c.target) unsupported(`CEL method ${c.function}`);
      const args = c.args.map((a, i) => (c.function === "@in" && i === 1 ? undefined : compileCel(a, schema)));
      const [a, b, d] = args;
      const same = (want?: CelType) => {
        if (!a || !b || a.ty !== b.ty || (want && a.ty !== want)) unsupported(`CEL ${c.function} on mixed types`);
      };
      switch (c.function) {
        case "!_":
          if (a?.ty !== "bool" || args.length !== 1) unsupported("CEL ! on a non-bool");
          return { ty: "bool", ev: (m) => !a.ev(m) };
        case "_&&_":
          same("bool");
          return { ty: "bool", ev: (m) => (a!.ev(m) as boolean) && (b!.ev(m) as boolean) };
        case "_||_":
          same("bool");
          return { ty: "bool", ev: (m) => (a!.ev(m) as boolean) || (b!.ev(m) as boolean) };
        case "_==_":
          same();
          return { ty: "bool", ev: (m) => a!.ev(m) === b!.ev(m) };
        case "_!=_":
          same();
          return { ty: "bool", ev: (m) => a!.ev(m) !== b!.ev(m) };
        case "_<_":
          same("int");
          return { ty: "bool", ev: (m) => (a!.ev(m) as number) < (b!.ev(m) as number) };
        case "_<=_":
          same("int");
          return { ty: "bool", ev: (m) => (a!.ev(m) as number) <= (b!.ev(m) as number) };
        case "_>_":
          same("int");
          return { ty: "bool", ev: (m) => (a!.ev(m) as number) > (b!.ev(m) as number) };
        case "_>=_":
          same("int");
          return { ty: "bool", ev: (m) => (a!.ev(m) as number) >= (b!.ev(m) as number) };
        case "_?_:_":
          if (a?.ty !== "bool" || !b || !d || b.ty !== d.ty) unsupported("CEL ?: with mixed types");
          return { ty: b.ty, ev: (m) => (a.ev(m) ? b.ev(m) : d.ev(m)) };
        case "@in": {
          const list = c.args[1]?.exprKind;
          if (!a || list?.case !== "listExpr" || list.value.optionalIndices.length > 0) unsupported("CEL in on a non-literal list");
          const items = list.value.elements.map((x) => {
            const n = compileCel(x, schema);
            if (n.ty !== a.ty || x.exprKind.case !== "constExpr") unsupported("CEL in on a list of other types");
            return n.ev({});
          });
          const set = new Set(items);
          return { ty: "bool", ev: (m) => set.has(a.ev(m)) };
        }
        default:
          return unsupported(`CEL function ${c.function}`);
      }
    }
    default:
      return unsupported(`CEL ${k.case ?? "empty"} expression`);
  }
}

function celTypeOf(f: DescField): CelType {
  if (f.fieldKind === "enum") return "int";
  if (f.fieldKind !== "scalar") return unsupported(`CEL field ${f.name} of kind ${f.fieldKind}`);
  switch (f.scalar) {
    case ScalarType.STRING:
      return "string";
    case ScalarType.BOOL:
      return "bool";
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return "int";
    default:
      return unsupported(`CEL field ${f.name} of scalar type ${f.scalar}`);
  }
}
