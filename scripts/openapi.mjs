// Writes gen/openapi/openapi.json (OpenAPI 3.0.3) for the REST surface, from the descriptors that
// `buf build` makes of proto/misar and the google.api.http bindings on each RPC. It follows the
// REST layer's JSON rules:
//   - field names are the proto names (snake_case); 32/64-bit integers are JSON numbers;
//   - google.protobuf.Timestamp is an RFC 3339 string; Struct is an object;
//   - an enum is its value name lower-cased without the enum's prefix (CAMPAIGN_STATUS_SENT ->
//     "sent"), *_UNSPECIFIED left out;
//   - fields with explicit presence (`optional`, or message-typed) are `nullable` in responses;
//   - a success body is {"success": true, ...the response message's fields}; an error body is
//     {"success": false, "error": {code, message, field?, violations?}}.
// Every field of a message that appears in responses is listed as required: the REST layer writes
// all of them (zeros included, unset `optional` ones as null). Proto comments become descriptions.
// Request schemas carry the contract's buf.validate rules (the same options the server's
// validation interceptor enforces): lengths, patterns, formats, ranges, item counts, required
// fields, the enum values a field admits; what JSON Schema cannot say (timestamp ranges, rules
// across fields) is written into the description, from the rule itself. Each operation lists
// exactly the error statuses the server can answer it with (ERRORS_OF below); unexpected
// failures (500) are the `default` response.
// Why our own generator rather than protoc-gen-connect-openapi: that one describes canonical
// proto JSON (camelCase names, int64 as strings, enums by full name, no envelope), and the REST
// surface differs from it in all four; the overlay would replace nearly every schema.
// Run by `npm run generate` after buf; `node scripts/openapi.mjs [out.json]` runs it alone.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = process.argv[2] ?? join(root, "gen", "openapi", "openapi.json");
const env = { ...process.env, PATH: `${join(root, "node_modules", ".bin")}:${process.env.PATH}` };

const PACKAGE = "misar.analytics.v1";
const image = JSON.parse(
  execFileSync("buf", ["build", "--path", "proto/misar", "-o", "-#format=json"], {
    cwd: root,
    env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  }),
);
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

// ---- index the descriptors ---------------------------------------------------------------------
/** full name (no leading dot) -> { kind: "message"|"enum", desc, file, path, comment } */
const types = new Map();
/** "service" entries: { name, fullName, desc, comment, methods: [{ desc, comment }] } */
const services = [];

function comments(file) {
  const byPath = new Map();
  for (const loc of file.sourceCodeInfo?.location ?? []) {
    if (loc.leadingComments) byPath.set((loc.path ?? []).join("."), loc.leadingComments);
  }
  return (path) => clean(byPath.get(path.join(".")));
}

function clean(text) {
  if (!text) return undefined;
  const lines = text.split("\n").map((l) => l.trim());
  while (lines.length && lines[lines.length - 1] === "") lines.pop();
  while (lines.length && lines[0] === "") lines.shift();
  return lines.join("\n") || undefined;
}

function indexMessages(file, comment, prefix, messages, path) {
  (messages ?? []).forEach((m, i) => {
    const full = `${prefix}.${m.name}`;
    const p = [...path, i];
    types.set(full, { kind: "message", desc: m, file: file.name, comment: comment(p) });
    indexMessages(file, comment, full, m.nestedType, [...p, 3]);
    (m.enumType ?? []).forEach((e, j) => indexEnum(file, comment, full, e, [...p, 4, j]));
  });
}

function indexEnum(file, comment, prefix, e, path) {
  const values = (e.value ?? []).map((v, k) => ({ ...v, comment: comment([...path, 2, k]) }));
  types.set(`${prefix}.${e.name}`, { kind: "enum", desc: { ...e, value: values }, file: file.name, comment: comment(path) });
}

for (const file of image.file) {
  const comment = comments(file);
  const prefix = file.package ?? "";
  indexMessages(file, comment, prefix, file.messageType, [4]);
  (file.enumType ?? []).forEach((e, i) => indexEnum(file, comment, prefix, e, [5, i]));
  if (file.package !== PACKAGE) continue;
  (file.service ?? []).forEach((s, i) => {
    services.push({
      name: s.name,
      fullName: `${prefix}.${s.name}`,
      comment: comment([6, i]),
      methods: (s.method ?? []).map((m, j) => ({ desc: m, comment: comment([6, i, 2, j]) })),
    });
  });
}

const strip = (typeName) => typeName.replace(/^\./, "");

// ---- schemas -----------------------------------------------------------------------------------
const schemas = {};
// The well-known types the REST codec (src/rest/codec.ts) maps; any other is an error below.
const WKT = {
  "google.protobuf.Timestamp": () => ({ type: "string", format: "date-time" }),
  "google.protobuf.Struct": () => ({ type: "object", additionalProperties: true }),
};

const SCALARS = {
  TYPE_STRING: { type: "string" },
  TYPE_BYTES: { type: "string", format: "byte" },
  TYPE_BOOL: { type: "boolean" },
  TYPE_DOUBLE: { type: "number", format: "double" },
  TYPE_FLOAT: { type: "number", format: "float" },
  TYPE_INT32: { type: "integer", format: "int32" },
  TYPE_SINT32: { type: "integer", format: "int32" },
  TYPE_SFIXED32: { type: "integer", format: "int32" },
  TYPE_UINT32: { type: "integer", minimum: 0 },
  TYPE_FIXED32: { type: "integer", minimum: 0 },
  TYPE_INT64: { type: "integer", format: "int64" },
  TYPE_SINT64: { type: "integer", format: "int64" },
  TYPE_SFIXED64: { type: "integer", format: "int64" },
  TYPE_UINT64: { type: "integer", minimum: 0 },
  TYPE_FIXED64: { type: "integer", minimum: 0 },
};

function schemaName(fullName) {
  return fullName.startsWith(`${PACKAGE}.`) ? fullName.slice(PACKAGE.length + 1).replace(/\./g, "_") : fullName.replace(/\./g, "_");
}

const ref = (fullName) => ({ $ref: `#/components/schemas/${schemaName(fullName)}` });

/** CampaignStatus -> CAMPAIGN_STATUS_ */
function enumPrefix(name) {
  return `${name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}_`;
}

function enumValueName(enumDesc, valueName) {
  const prefix = enumPrefix(enumDesc.name);
  return (valueName.startsWith(prefix) ? valueName.slice(prefix.length) : valueName).toLowerCase();
}

function ensureEnum(fullName) {
  const name = schemaName(fullName);
  if (schemas[name]) return;
  const t = types.get(fullName);
  const values = t.desc.value.filter((v) => !(v.number === 0 && v.name.endsWith("_UNSPECIFIED")));
  const lines = values.map((v) => `- \`${enumValueName(t.desc, v.name)}\`${v.comment ? `: ${v.comment.replace(/\n/g, " ")}` : ""}`);
  schemas[name] = {
    type: "string",
    description: [t.comment, lines.join("\n")].filter(Boolean).join("\n\n"),
    enum: values.map((v) => enumValueName(t.desc, v.name)),
  };
}

/** Full names of the messages reachable from response types: their fields are all required. */
const responseMessages = new Set();
function markResponse(fullName) {
  if (responseMessages.has(fullName) || WKT[fullName]) return;
  const t = types.get(fullName);
  if (!t || t.kind !== "message") return;
  responseMessages.add(fullName);
  for (const f of t.desc.field ?? []) if (f.type === "TYPE_MESSAGE") markResponse(strip(f.typeName));
}
const requestMessages = new Set();
function markRequest(fullName) {
  if (requestMessages.has(fullName) || WKT[fullName]) return;
  const t = types.get(fullName);
  if (!t || t.kind !== "message") return;
  requestMessages.add(fullName);
  for (const f of t.desc.field ?? []) if (f.type === "TYPE_MESSAGE") markRequest(strip(f.typeName));
}

/** The schema of one value of a field (no `repeated`). */
function valueSchema(field) {
  if (field.type === "TYPE_ENUM") {
    ensureEnum(strip(field.typeName));
    return ref(strip(field.typeName));
  }
  if (field.type === "TYPE_MESSAGE" || field.type === "TYPE_GROUP") {
    const full = strip(field.typeName);
    if (WKT[full]) return WKT[full]();
    if (full.startsWith("google.protobuf.")) throw new Error(`${full}: the REST codec has no JSON mapping for it`);
    ensureMessage(full);
    return ref(full);
  }
  return { ...SCALARS[field.type] };
}

// ---- the contract's buf.validate rules, for request fields ----------------------------------------
const FIELD_RULES = "[buf.validate.field]";
const MESSAGE_RULES = "[buf.validate.message]";
const NUMBER_RULES = ["int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64", "double", "float"];

/**
 * Adds a field's rules to its schema as JSON Schema keywords where one exists; the others (CEL
 * rules, timestamp ranges) become sentences in `notes`. Returns the schema (an enum field whose
 * rules exclude values gets its own, narrower enum).
 */
function applyRules(field, schema, notes) {
  const r = field.options?.[FIELD_RULES];
  if (!r) return schema;
  if (r.repeated) {
    if (r.repeated.minItems !== undefined) schema.minItems = Number(r.repeated.minItems);
    if (r.repeated.maxItems !== undefined) schema.maxItems = Number(r.repeated.maxItems);
    if (r.repeated.items) schema.items = applyRules({ ...field, options: { [FIELD_RULES]: r.repeated.items } }, schema.items, notes);
    return schema;
  }
  const empty = r.ignore === "IGNORE_IF_ZERO_VALUE";
  if (r.string) {
    const t = r.string;
    if (t.minLen !== undefined) schema.minLength = Number(t.minLen);
    else if (r.required) schema.minLength = 1;
    if (t.maxLen !== undefined) schema.maxLength = Number(t.maxLen);
    if (t.pattern !== undefined) schema.pattern = empty ? `^$|${t.pattern}` : t.pattern;
    if (t.email) schema.format = "email";
    if (t.in) schema.enum = [...(empty ? [""] : []), ...t.in];
  }
  for (const kind of NUMBER_RULES) {
    const t = r[kind];
    if (!t) continue;
    if (t.gte !== undefined) schema.minimum = Number(t.gte);
    if (t.gt !== undefined) Object.assign(schema, { minimum: Number(t.gt), exclusiveMinimum: true });
    if (t.lte !== undefined) schema.maximum = Number(t.lte);
    if (t.lt !== undefined) Object.assign(schema, { maximum: Number(t.lt), exclusiveMaximum: true });
  }
  if (r.enum && (r.enum.notIn || r.enum.in)) {
    const e = types.get(strip(field.typeName)).desc;
    const allowed = e.value.filter((v) => v.number !== 0 && !(r.enum.notIn ?? []).includes(v.number) && (!r.enum.in || r.enum.in.includes(v.number)));
    schema = { type: "string", enum: allowed.map((v) => enumValueName(e, v.name)) };
  }
  if (r.timestamp) {
    const t = r.timestamp;
    const from = t.gte ? `at or after ${t.gte}` : t.gt ? `after ${t.gt}` : undefined;
    const to = t.lt ? `before ${t.lt}` : t.lte ? `at or before ${t.lte}` : undefined;
    notes.push(`must be ${[from, to].filter(Boolean).join(" and ")}`);
  }
  for (const c of r.cel ?? []) notes.push(c.message);
  return schema;
}

/** A field the rules require: `required`, or a list of at least one item. */
function isRequired(field) {
  const r = field.options?.[FIELD_RULES];
  return r?.required === true || Number(r?.repeated?.minItems ?? 0) > 0;
}

function fieldSchema(field, comment, request = false) {
  const notes = [];
  let schema;
  if (field.label === "LABEL_REPEATED") {
    schema = { type: "array", items: valueSchema(field) };
    if (request) schema = applyRules(field, schema, notes);
  } else {
    schema = valueSchema(field);
    if (request) schema = applyRules(field, schema, notes);
    // null is "unset", which a required request field must not be.
    const presence = !(request && isRequired(field)) && (field.proto3Optional === true || (field.type === "TYPE_MESSAGE" && !schema.nullable));
    if (presence) {
      schema = schema.$ref ? { allOf: [schema], nullable: true } : { ...schema, nullable: true };
    }
  }
  const description = [comment, ...notes.map((n) => `Rule: ${n}.`)].filter(Boolean).join("\n");
  if (description) schema = schema.$ref ? { allOf: [schema], description } : { description, ...schema };
  return schema;
}

/** Properties of a message, optionally without some fields (bound from the path). */
function messageProperties(fullName, omit = new Set()) {
  const t = types.get(fullName);
  const properties = {};
  (t.desc.field ?? []).forEach((f, i) => {
    if (omit.has(f.name)) return;
    properties[f.name] = fieldSchema(f, fieldComments.get(`${fullName}#${i}`), requestMessages.has(fullName));
  });
  return properties;
}

function ensureMessage(fullName, omit = new Set(), name = schemaName(fullName)) {
  if (schemas[name]) return name;
  const t = types.get(fullName);
  if (!t) throw new Error(`unknown message ${fullName}`);
  schemas[name] = {}; // reserve (recursion)
  const properties = messageProperties(fullName, omit);
  const schema = { type: "object" };
  if (t.comment) schema.description = t.comment;
  schema.properties = properties;
  if (responseMessages.has(fullName) && !requestMessages.has(fullName) && Object.keys(properties).length) {
    schema.required = Object.keys(properties);
  }
  if (requestMessages.has(fullName)) {
    const required = (t.desc.field ?? []).filter((f) => !omit.has(f.name) && isRequired(f)).map((f) => f.name);
    if (required.length) schema.required = required;
    // Rules across fields: each is about the field its id starts with (src/rpc/validation.ts).
    const across = (t.desc.options?.[MESSAGE_RULES]?.cel ?? []).map((c) => `- \`${c.id.split(".")[0]}\` ${c.message}.`);
    if (across.length) schema.description = [schema.description, "Rules across fields:", ...across].filter(Boolean).join("\n");
  }
  schemas[name] = schema;
  return name;
}

// Field comments: paths [4, m, (3, n)*, 2, f] in each file.
const fieldComments = new Map();
for (const file of image.file) {
  const comment = comments(file);
  const walk = (prefix, messages, path) =>
    (messages ?? []).forEach((m, i) => {
      const full = `${prefix}.${m.name}`;
      (m.field ?? []).forEach((_, f) => {
        const c = comment([...path, i, 2, f]);
        if (c) fieldComments.set(`${full}#${f}`, c);
      });
      walk(full, m.nestedType, [...path, i, 3]);
    });
  walk(file.package ?? "", file.messageType, [4]);
}

// ---- paths -------------------------------------------------------------------------------------
const METHODS = ["get", "put", "post", "delete", "patch"];

/** The one binding the REST router serves (src/rest/routes.ts); anything else it refuses, so do we. */
function bindings(rule, name) {
  if (rule.custom || rule.additionalBindings?.length || rule.responseBody || (rule.body && rule.body !== "*")) {
    throw new Error(`${name}: the REST router serves only get/put/post/delete/patch with body "*" or none`);
  }
  return METHODS.filter((m) => rule[m]).map((m) => ({ method: m, path: rule[m], body: rule.body }));
}

/** `/api/v1/campaigns/{id}` -> { openapiPath, params: ["id"] }; `{name=foo/*}` -> `{name}`. */
function parseTemplate(path) {
  const params = [];
  const openapiPath = path.replace(/\{([^}=]+)(=[^}]*)?\}/g, (_, name) => {
    params.push(name);
    return `{${name}}`;
  });
  return { openapiPath, params };
}

function scopeOf(comment) {
  return comment?.match(/Requires the `([a-z_]+)` scope/)?.[1];
}

// Each error status the server answers, with the one `error.code` it carries (src/rest/status.ts,
// src/rest/handler.ts).
// The headers each carries for sure: the caller's quota (src/server/rate-limit.ts: the key's
// bucket, or the client address's for calls without a valid key) once the request passed the
// size check, and Retry-After where a retry can succeed.
const QUOTA = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"];
const ERROR_RESPONSES = {
  400: ["BadRequest", "invalid_argument", "The request is invalid; `field` and `violations` name what is wrong.", QUOTA],
  401: ["Unauthenticated", "unauthenticated", "The API key is missing, malformed, unknown or revoked.", QUOTA],
  403: ["PermissionDenied", "permission_denied", "The API key lacks the scope this endpoint requires.", QUOTA],
  404: ["NotFound", "not_found", "No such resource in the key's account.", QUOTA],
  413: ["PayloadTooLarge", "payload_too_large", "The request body is larger than the server accepts.", []],
  429: ["TooManyRequests", "resource_exhausted", "The key's (or, without a valid key, the client address's) rate limit is spent; retry after `Retry-After` seconds.", [...QUOTA, "Retry-After"]],
  503: ["Unavailable", "unavailable", "The database is unavailable or the server is shutting down; retry later.", ["Retry-After"]],
  default: ["Internal", "internal", "An unexpected server error (500).", []],
};
const HEADERS = {
  "RateLimit-Limit": "The size of this caller's token bucket, in requests (the key's, or the client address's); it refills continuously.",
  "RateLimit-Remaining": "Whole requests left in the bucket.",
  "RateLimit-Reset": "Seconds until the bucket is full again.",
  "Retry-After": "Seconds to wait before retrying (for a 429: until the bucket holds what the request costs again).",
};
const headerRefs = (names) => Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n.replace(/-/g, "")}` }]));
/** The RPCs whose handlers answer `not_found` (a campaign that is not the account's). */
const NOT_FOUND = new Set(["GetCampaignMetrics", "GetCampaignLinks"]);
/** The error statuses an operation can get: what every call can meet, and what its shape adds. */
function errorsOf(method, { scope, body }) {
  return [400, ...(scope ? [401, 403] : []), ...(NOT_FOUND.has(method) ? [404] : []), ...(body ? [413] : []), 429, 503, "default"];
}

// First mark which messages appear in requests and which in responses (see `required`).
for (const svc of services) {
  for (const { desc: m } of svc.methods) {
    if (!m.options?.["[google.api.http]"]) continue;
    markRequest(strip(m.inputType));
    markResponse(strip(m.outputType));
  }
}

const paths = {};
const tags = [];
for (const svc of services) {
  tags.push({ name: svc.name, description: svc.comment });
  const scope = scopeOf(svc.comment);
  for (const { desc: m, comment } of svc.methods) {
    const rule = m.options?.["[google.api.http]"];
    if (!rule) continue;
    const input = strip(m.inputType);
    const output = strip(m.outputType);
    for (const b of bindings(rule, m.name)) {
      const { openapiPath, params } = parseTemplate(b.path);
      const inputDesc = types.get(input).desc;
      const fieldByName = new Map((inputDesc.field ?? []).map((f, i) => [f.name, { f, i }]));
      const op = {
        operationId: `${svc.name}_${m.name}`,
        summary: comment?.split("\n")[0],
        description: [comment, `gRPC / Connect: \`${svc.fullName}/${m.name}\`.`, scope ? `Requires an API key with the \`${scope}\` scope.` : undefined]
          .filter(Boolean)
          .join("\n\n"),
        tags: [svc.name],
      };
      if (scope) op["x-misar-scope"] = scope;
      const parameters = [];
      for (const p of params) {
        const top = p.split(".")[0];
        const entry = fieldByName.get(top);
        if (!entry) throw new Error(`${m.name}: path parameter ${p} is no field of ${input}`);
        parameters.push({
          name: p,
          in: "path",
          required: true,
          description: fieldComments.get(`${input}#${entry.i}`),
          schema: applyRules(entry.f, valueSchema(entry.f), []),
        });
      }
      const bound = new Set(params.map((p) => p.split(".")[0]));
      if (b.body === "*") {
        const name = bound.size ? ensureMessage(input, bound, `${schemaName(input)}Body`) : ensureMessage(input);
        op.requestBody = { required: true, content: { "application/json": { schema: { $ref: `#/components/schemas/${name}` } } } };
      } else {
        // The remaining fields are query parameters (scalars, enums and repeated scalars).
        (inputDesc.field ?? []).forEach((f, i) => {
          if (bound.has(f.name)) return;
          if (f.type === "TYPE_MESSAGE" && !WKT[strip(f.typeName)]) return; // not expressible as a query parameter
          const notes = [];
          const schema = applyRules(f, f.label === "LABEL_REPEATED" ? { type: "array", items: valueSchema(f) } : valueSchema(f), notes);
          delete schema.nullable;
          const description = [fieldComments.get(`${input}#${i}`), ...notes.map((n) => `Rule: ${n}.`)].filter(Boolean).join("\n");
          const param = { name: f.name, in: "query", required: false, description, schema };
          if (f.label === "LABEL_REPEATED") Object.assign(param, { style: "form", explode: true });
          parameters.push(param);
        });
      }
      if (parameters.length) {
        const body = op.requestBody;
        delete op.requestBody;
        op.parameters = parameters;
        if (body) op.requestBody = body;
      }
      ensureMessage(output);
      const outputDesc = types.get(output);
      op.responses = {
        200: {
          description: outputDesc.comment ?? "OK",
          headers: headerRefs(QUOTA),
          content: {
            "application/json": {
              schema: { allOf: [{ $ref: "#/components/schemas/Success" }, ref(output)] },
            },
          },
        },
      };
      for (const s of errorsOf(m.name, { scope, body: b.body === "*" })) {
        op.responses[s] = { $ref: `#/components/responses/${ERROR_RESPONSES[s][0]}` };
      }
      paths[openapiPath] ??= {};
      if (paths[openapiPath][b.method]) throw new Error(`two RPCs bind ${b.method.toUpperCase()} ${openapiPath}`);
      paths[openapiPath][b.method] = op;
    }
  }
}

schemas.Success = {
  type: "object",
  description: 'Every success body starts with `"success": true`, followed by the response message\'s fields.',
  properties: { success: { type: "boolean", enum: [true] } },
  required: ["success"],
};
schemas.Error = {
  type: "object",
  description: 'Every error body: `{"success": false, "error": {...}}`. gRPC and Connect carry the matching status code and message.',
  properties: {
    success: { type: "boolean", enum: [false] },
    error: {
      type: "object",
      properties: {
        code: {
          type: "string",
          description: "The gRPC status code name in snake_case (`invalid_argument`, `unauthenticated`, ...); `payload_too_large` for 413.",
        },
        message: { type: "string", description: "What went wrong, for people." },
        field: { type: "string", description: "The request field at fault, when there is one (e.g. `events[3].timestamp`)." },
        violations: {
          type: "array",
          description: "Every problem found, when there are several (e.g. each bad event of a batch).",
          items: {
            type: "object",
            properties: { field: { type: "string" }, description: { type: "string" } },
            required: ["field", "description"],
          },
        },
      },
      required: ["code", "message"],
    },
  },
  required: ["success", "error"],
};

const responses = {};
for (const [status, [name, code, description, headers]] of Object.entries(ERROR_RESPONSES)) {
  const schema = { allOf: [{ $ref: "#/components/schemas/Error" }, { properties: { error: { properties: { code: { enum: [code] } } } } }] };
  responses[name] = { description: `${status}: ${description} (\`${code}\`)`, content: { "application/json": { schema } } };
  if (headers.length) responses[name].headers = headerRefs(headers);
}
const headers = Object.fromEntries(
  Object.entries(HEADERS).map(([n, description]) => [n.replace(/-/g, ""), { description, required: true, schema: { type: "integer", minimum: 0 } }]),
);

const sortedSchemas = Object.fromEntries(Object.keys(schemas).sort().map((k) => [k, schemas[k]]));
const doc = {
  openapi: "3.0.3",
  info: {
    title: "Misar Analytics API",
    version: pkg.version,
    description:
      "Email performance metrics, campaign analytics, custom event tracking and the ingest of email events. " +
      "Generated by scripts/openapi.mjs from the Protobuf contract (package `misar.analytics.v1`) and its " +
      "`google.api.http` bindings; the same RPCs are served over gRPC, Connect and gRPC-Web.",
  },
  servers: [{ url: "https://mail.misar.io" }],
  security: [{ bearerAuth: [] }],
  tags,
  paths,
  components: {
    securitySchemes: {
      bearerAuth: {
        type: "http",
        scheme: "bearer",
        bearerFormat: "msk_...",
        description: "`Authorization: Bearer msk_...`: an API key of one account, with the scopes `analytics`, `track` and/or `ingest`.",
      },
    },
    headers,
    responses,
    schemas: sortedSchemas,
  },
};

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
