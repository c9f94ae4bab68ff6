import type { Violation } from "../rpc/errors.js";

/**
 * What one request message may hold before it is refused, checked before any decoder builds it:
 * protobuf-es decodes recursively and allocates per element, so without these a 10,000-deep
 * `properties` overflows the stack and 2 million empty events take seconds of CPU.
 */
export interface DecodeLimits {
  /** JSON values (google.protobuf.Struct / Value / ListValue, e.g. `properties`): objects and arrays nested at most this deep. */
  maxValueDepth: number;
  /** Messages nested at most this deep (our requests need 3; values count here too). */
  maxMessageDepth: number;
  /** Items of one repeated field or entries of one map, and keys of one JSON object. */
  maxItems: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxValueDepth: 32, maxMessageDepth: 100, maxItems: 10_000 };

/** Thrown by the checkers at the first problem that makes a message undecodable or too costly. */
export class Refusal extends Error {
  constructor(
    readonly field: string,
    readonly description: string,
  ) {
    super(`${field}: ${description}`);
  }
  get violation(): Violation {
    return { field: this.field, description: this.description };
  }
}

/** The well-known types whose JSON form is an arbitrary JSON value. */
export const JSON_VALUE_TYPES = new Set(["google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"]);
