// gen/openapi/openapi.json and a JSON Schema validator (Ajv) for its schemas. Used by the pure
// document checks and by the live tests.
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import { default as addFormatsPlugin } from "ajv-formats";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// ajv-formats is CommonJS with a default export; under ESM interop it arrives wrapped.
const addFormats = ((addFormatsPlugin as unknown as { default?: typeof addFormatsPlugin }).default ?? addFormatsPlugin) as unknown as (a: Ajv) => void;

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export type Schema = {
  $ref?: string;
  type?: "object" | "array" | "string" | "number" | "integer" | "boolean";
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  nullable?: boolean;
  format?: string;
  pattern?: string;
  minimum?: number;
  description?: string;
};
export type Operation = {
  operationId: string;
  "x-misar-scope"?: string;
  parameters?: { name: string; in: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: Schema }> }>;
};
export type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    responses: Record<string, { content: Record<string, { schema: Schema }> }>;
    securitySchemes: Record<string, { type: string; scheme?: string }>;
  };
  security: Record<string, string[]>[];
};

export const doc: Doc = JSON.parse(readFileSync(join(root, "gen", "openapi", "openapi.json"), "utf8"));

// ---- validation with Ajv, a JSON Schema validator ----------------------------------------------
export type Issue = { path: string; keyword: string; message: string };

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv); // date-time, email
for (const f of ["int32", "int64", "float", "double", "byte"]) ajv.addFormat(f, true); // OpenAPI's type refinements

/**
 * OpenAPI 3.0's `nullable: true` as JSON Schema: null, or the schema without it (Ajv's own
 * `nullable` keyword needs `type` beside it, which an `allOf: [$ref]` wrapper has not).
 */
function jsonSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(jsonSchema);
  if (typeof s !== "object" || s === null) return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (k !== "nullable") out[k] = jsonSchema(v);
  return (s as Schema).nullable ? { anyOf: [{ type: "null" }, out] } : out;
}

const components = jsonSchema(doc.components);
const compiled = new WeakMap<Schema, ValidateFunction>();

export function resolve(ref: string): Schema {
  const prefix = "#/components/schemas/";
  if (!ref.startsWith(prefix)) throw new Error(`unsupported $ref ${ref}`);
  const schema = doc.components.schemas[ref.slice(prefix.length)];
  if (!schema) throw new Error(`dangling $ref ${ref}`);
  return schema;
}

/** Validates a value against a schema of the document (its `#/components/...` refs resolved). */
export function validate(schema: Schema, value: unknown): Issue[] {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile({ ...(jsonSchema(schema) as object), components });
    compiled.set(schema, fn);
  }
  if (fn(value)) return [];
  return (fn.errors ?? [])
    // A nullable value's failure shows up thrice (not null, the real reason, no branch matched): keep the reason.
    .filter((e) => e.keyword !== "anyOf" && !(e.keyword === "type" && e.params.type === "null"))
    .map((e) => ({
      path: e.keyword === "required" ? `${e.instancePath}/${e.params.missingProperty}` : e.instancePath || "/",
      keyword: e.keyword,
      message: e.message ?? "",
    }));
}

export function op(method: string, path: string): Operation {
  const o = doc.paths[path]?.[method.toLowerCase()];
  if (!o) throw new Error(`no ${method} ${path} in openapi.json`);
  return o;
}

export function successSchema(method: string, path: string): Schema {
  return op(method, path).responses["200"]!.content!["application/json"]!.schema;
}

export function requestSchema(method: string, path: string): Schema {
  return op(method, path).requestBody!.content["application/json"]!.schema;
}

