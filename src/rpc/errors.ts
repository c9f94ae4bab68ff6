import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, type BadRequest_FieldViolation } from "../../gen/es/google/rpc/error_details_pb.js";

/** One thing wrong with a request: the field (snake_case path, e.g. `events[3].type`) and why. */
export interface Violation {
  field: string;
  description: string;
}

/**
 * An INVALID_ARGUMENT error that names every bad field. The violations travel as a standard
 * google.rpc.BadRequest detail, so gRPC and Connect clients in any language can read them.
 */
export function invalidArgument(violations: Violation[]): ConnectError {
  const message =
    violations.length === 1
      ? `${violations[0]!.field}: ${violations[0]!.description}`
      : `${violations.length} invalid fields: ` + violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return new ConnectError(message, Code.InvalidArgument, undefined, [
    {
      desc: BadRequestSchema,
      value: create(BadRequestSchema, {
        fieldViolations: violations.map((v) => ({ field: v.field, description: v.description })),
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
}

export const notFound = (what: string) => new ConnectError(`${what} not found`, Code.NotFound);
