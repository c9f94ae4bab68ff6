import { create, getOption, type DescEnum, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { pathToString, type Path } from "@bufbuild/protobuf/reflect";
import { createValidator, type Violation as RuleViolation } from "@bufbuild/protovalidate";
import { field as fieldRules } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import type { Interceptor } from "@connectrpc/connect";
import { enumWord } from "../rest/codec.js";
import { outsideRange } from "../time.js";
import { MAX_LISTED_VIOLATIONS, Violations, invalidArgument, type Violation } from "./errors.js";
import { checkContract, type Broken } from "./contract-check.js";
import { serverRules } from "./server-rules.js";

/**
 * Enforces the contract's `buf.validate` rules (the protos' field and message options) on every
 * request, whatever the protocol: gRPC, gRPC-Web, Connect and REST all pass this one interceptor,
 * after authentication and before the handler. Beside them it runs the few rules that need the
 * server (src/rpc/server-rules.ts), so one answer names every bad field: INVALID_ARGUMENT with a
 * google.rpc.BadRequest detail (REST: `error.violations`), one entry per bad field, named by its
 * snake_case path (`events[3].type`). Go and Python clients run the contract's rules locally with
 * their protovalidate libraries before sending.
 */
export function validationInterceptor(now: () => Date, inputs: readonly DescMessage[] = []): Interceptor {
  const validator = createValidator();
  // Compiling a type's rules costs tens of ms of CPU (bench/validation.ts): done here, at startup,
  // rather than by the first request of each type.
  for (const schema of inputs) validator.validate(schema, create(schema));
  return (next) => async (req) => {
    if (!req.stream) {
      const contract = checkContract(validator, req.method.input, req.message, MAX_LISTED_VIOLATIONS);
      const found: Found[] = contract.broken.map(located);
      if (contract.tooMany) found.push(locate(contract.tooMany.field, () => contract.tooMany!.description));
      const server = new Violations();
      serverRules.get(req.method.input.typeName)?.(req.message, now(), server);
      for (const v of server.list) found.push(locate(v.field, () => v.description));
      // One reason per field (the first: the contract's before the server's), in the order of
      // the request's items (`events[2]` before `events[10]`); a stable sort keeps field order.
      // Only the listed ones are worded: a batch can break thousands of rules.
      found.sort(byItemIndex);
      const named = new Set<string>();
      const listed: Violation[] = [];
      for (const x of found) {
        if (named.has(x.field)) continue;
        named.add(x.field);
        if (listed.length < MAX_LISTED_VIOLATIONS) listed.push({ field: x.field, description: x.describe() });
      }
      if (named.size > 0) throw invalidArgument(listed, named.size, contract.uncheckedFrom);
    }
    return next(req);
  };
}

/** A violation found, by field, with its list indices worked out once (for sorting). */
interface Found {
  field: string;
  indices: number[];
  describe: () => string;
}

const locate = (field: string, describe: () => string): Found => ({
  field,
  indices: [...field.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])),
  describe,
});

/** Orders field paths by their list indices (`events[2].url` < `events[10].id`); else equal. */
function byItemIndex(a: Found, b: Found): number {
  const ia = a.indices;
  const ib = b.indices;
  for (let i = 0; i < Math.min(ia.length, ib.length); i++) if (ia[i] !== ib[i]) return ia[i]! - ib[i]!;
  return 0;
}

/** A protovalidate violation, named by our field path, worded (never echoing the value) on demand. */
function located({ violation: v, prefix }: Broken): Found {
  let field = pathToString(v.field);
  // A message-level rule (a CEL rule across fields; the only kind with no rule path) is about
  // the field its id starts with.
  if (v.rule.length === 0) {
    const about = v.ruleId.split(".")[0]!;
    field = field === "" ? about : `${field}.${about}`;
  }
  if (prefix) field = field === "" ? prefix : `${prefix}.${field}`;
  return locate(field || "body", () => wording(v));
}

/** protovalidate's standard messages, reworded to start with the verb ("must be …") as ours do. */
function wording(v: RuleViolation): string {
  const f = lastField(v.field);
  const e = f ? enumOf(f) : undefined;
  if (f && e && (v.ruleId.startsWith("enum.") || v.ruleId === "required")) return `must be one of ${allowedWords(f, e).join(", ")}`;
  const m = v.message;
  let r: RegExpExecArray | null;
  // The library's wording varies by rule and version ("value must …" or "must …").
  if ((r = /^(?:value )?does not match regex pattern `(.*)`$/.exec(m))) return `must match ${r[1]}`;
  if ((r = /^(?:value )?must be in list \[(.*)\]$/.exec(m))) return `must be one of ${r[1]}`;
  if ((r = /^(?:value )?must be greater than or equal to (\S+) and less than (\S+)$/.exec(m)) && v.ruleId.startsWith("timestamp.")) {
    return outsideRange(r[1]!, r[2]!);
  }
  // "value length must be at most 64 characters", "value is required", "value must be …"
  return m.replace(/^value (length )?/, "");
}

function lastField(path: Path): DescField | undefined {
  const last = path[path.length - 1];
  return last?.kind === "field" ? last : undefined;
}

function enumOf(f: DescField): DescEnum | undefined {
  if (f.fieldKind === "enum") return f.enum;
  if (f.fieldKind === "list" && f.listKind === "enum") return f.enum;
  return undefined;
}

/** The enum's REST words, without UNSPECIFIED and the values the field's rules exclude. */
function allowedWords(f: DescField, e: DescEnum): string[] {
  const rules = getOption(f, fieldRules);
  const enumRules = rules.type.case === "enum" ? rules.type.value : undefined;
  const notIn = new Set(enumRules?.notIn ?? []);
  const only = enumRules && enumRules.in.length > 0 ? new Set(enumRules.in) : undefined;
  return e.values
    .filter((x) => x.number !== 0 && !notIn.has(x.number) && (!only || only.has(x.number)))
    .flatMap((x) => enumWord(e, x.number) ?? []);
}
