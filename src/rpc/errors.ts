import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, type BadRequest_FieldViolation } from "../../gen/es/google/rpc/error_details_pb.js";

/** One thing wrong with a request: the field (snake_case path, e.g. `events[3].type`) and why. */
export interface Violation {
  field: string;
  description: string;
}

/**
 * The most violations one error lists. A request can be wrong in unboundedly many places (80,000
 * unknown keys); the response names the first ones and says how many more there were, so its
 * size and the cost of building it stay bounded.
 */
export const MAX_LISTED_VIOLATIONS = 100;

/**
 * An INVALID_ARGUMENT error that names every bad field (up to MAX_LISTED_VIOLATIONS of them).
 * `total` is how many there were when the caller passes only the first ones; `notCheckedFrom`
 * the first item not checked when checking stopped early (a batch wrong in more places than are
 * listed, or longer than allowed).
 * The violations travel as a standard google.rpc.BadRequest detail, so gRPC and Connect clients
 * in any language can read them. Every protocol's validation errors are built here.
 */
export function invalidArgument(violations: readonly Violation[], total = violations.length, notCheckedFrom?: string): ConnectError {
  const listed = violations.length > MAX_LISTED_VIOLATIONS ? violations.slice(0, MAX_LISTED_VIOLATIONS) : violations;
  let message =
    total === 1
      ? `${listed[0]!.field}: ${listed[0]!.description}`
      : `${notCheckedFrom ? "at least " : ""}${total} invalid fields: ` + listed.map((v) => `${v.field}: ${v.description}`).join("; ");
  if (total > listed.length) message += `; and ${total - listed.length} more (only the first ${MAX_LISTED_VIOLATIONS} are listed)`;
  if (notCheckedFrom) message += `; ${notCheckedFrom} onwards not checked`;
  return new ConnectError(message, Code.InvalidArgument, undefined, [
    {
      desc: BadRequestSchema,
      value: create(BadRequestSchema, {
        fieldViolations: listed.map((v) => ({ field: v.field, description: v.description })),
      }),
    },
  ]);
}

/** Reads the field violations back out of an error (the REST layer renders them). */
export function violationsOf(err: ConnectError): Violation[] {
  const out: Violation[] = [];
  for (const d of err.findDetails(BadRequestSchema)) {
    out.push(...d.fieldViolations.map((v: BadRequest_FieldViolation) => ({ field: v.field, description: v.description })));
  }
  return out;
}

/** Collects violations while a request is checked, then throws them all at once. */
export class Violations {
  readonly list: Violation[] = [];
  add(field: string, description: string): void {
    this.list.push({ field, description });
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw invalidArgument(this.list);
  }
  /** Throws what was collected so far and this one more. */
  throwWith(v: Violation): never {
    throw invalidArgument([...this.list, v]);
  }
}

export const notFound = (what: string) => new ConnectError(`${what} not found`, Code.NotFound);
