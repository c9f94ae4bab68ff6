// A small validator for the OpenAPI 3.0 schema subset that scripts/openapi.mjs emits, over
// gen/openapi/openapi.json. Used by the pure document checks and by the live-route test.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

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

// ---- a small validator for the OpenAPI 3.0 schema subset that scripts/openapi.mjs emits ---------
export type Issue = { path: string; keyword: string; message: string };
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function resolve(ref: string): Schema {
  const prefix = "#/components/schemas/";
  if (!ref.startsWith(prefix)) throw new Error(`unsupported $ref ${ref}`);
  const schema = doc.components.schemas[ref.slice(prefix.length)];
  if (!schema) throw new Error(`dangling $ref ${ref}`);
  return schema;
}

export function validate(schema: Schema, value: unknown, path = ""): Issue[] {
  const at = path || "/";
  if (schema.$ref) return validate(resolve(schema.$ref), value, path);
  if (value === null) {
    // `nullable` on the schema itself, or on an allOf wrapper around a $ref.
    return schema.nullable ? [] : [{ path: at, keyword: "nullable", message: "null is not allowed" }];
  }
  const issues: Issue[] = [];
  for (const part of schema.allOf ?? []) issues.push(...validate(part, value, path));
  if (schema.type) {
    const ok =
      schema.type === "object"
        ? typeof value === "object" && !Array.isArray(value)
        : schema.type === "array"
          ? Array.isArray(value)
          : schema.type === "integer"
            ? typeof value === "number" && Number.isInteger(value)
            : schema.type === "number"
              ? typeof value === "number" && Number.isFinite(value)
              : typeof value === schema.type;
    if (!ok) return [...issues, { path: at, keyword: "type", message: `expected ${schema.type}, got ${JSON.stringify(value)}` }];
  }
  if (schema.enum && !schema.enum.includes(value)) {
    issues.push({ path: at, keyword: "enum", message: `${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}` });
  }
  if (typeof value === "string") {
    if (schema.format === "date-time" && !RFC3339.test(value)) {
      issues.push({ path: at, keyword: "format", message: `${JSON.stringify(value)} is not an RFC 3339 date-time` });
    }
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) {
      issues.push({ path: at, keyword: "pattern", message: `${JSON.stringify(value)} does not match ${schema.pattern}` });
    }
  }
  if (typeof value === "number" && schema.minimum !== undefined && value < schema.minimum) {
    issues.push({ path: at, keyword: "minimum", message: `${value} < ${schema.minimum}` });
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => issues.push(...validate(schema.items!, item, `${path}/${i}`)));
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const name of schema.required ?? []) {
      if (!(name in obj)) issues.push({ path: `${path}/${name}`, keyword: "required", message: "missing" });
    }
    for (const [name, v] of Object.entries(obj)) {
      const prop = schema.properties?.[name];
      if (prop) issues.push(...validate(prop, v, `${path}/${name}`));
      else if (schema.additionalProperties === false && !(schema.allOf ?? []).length) {
        issues.push({ path: `${path}/${name}`, keyword: "additionalProperties", message: "not allowed" });
      } else if (typeof schema.additionalProperties === "object") {
        issues.push(...validate(schema.additionalProperties, v, `${path}/${name}`));
      }
    }
  }
  return issues;
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

