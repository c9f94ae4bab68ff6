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
const WKT = {
  "google.protobuf.Timestamp": () => ({ type: "string", format: "date-time" }),
  "google.protobuf.Duration": () => ({ type: "string", pattern: "^-?[0-9]+(\\.[0-9]+)?s$" }),
  "google.protobuf.Struct": () => ({ type: "object", additionalProperties: true }),
  "google.protobuf.Value": () => ({}),
  "google.protobuf.ListValue": () => ({ type: "array", items: {} }),
  "google.protobuf.Empty": () => ({ type: "object" }),
  "google.protobuf.FieldMask": () => ({ type: "string" }),
  "google.protobuf.StringValue": () => ({ type: "string", nullable: true }),
  "google.protobuf.BoolValue": () => ({ type: "boolean", nullable: true }),
  "google.protobuf.DoubleValue": () => ({ type: "number", format: "double", nullable: true }),
  "google.protobuf.FloatValue": () => ({ type: "number", format: "float", nullable: true }),
  "google.protobuf.Int64Value": () => ({ type: "integer", format: "int64", nullable: true }),
  "google.protobuf.Int32Value": () => ({ type: "integer", format: "int32", nullable: true }),
  "google.protobuf.UInt64Value": () => ({ type: "integer", minimum: 0, nullable: true }),
  "google.protobuf.UInt32Value": () => ({ type: "integer", minimum: 0, nullable: true }),
  "google.protobuf.BytesValue": () => ({ type: "string", format: "byte", nullable: true }),
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
    ensureMessage(full);
    return ref(full);
  }
  return { ...SCALARS[field.type] };
}

function isMapField(field) {
  if (field.label !== "LABEL_REPEATED" || field.type !== "TYPE_MESSAGE") return false;
  return types.get(strip(field.typeName))?.desc.options?.mapEntry === true;
}

function fieldSchema(field, comment) {
  let schema;
  if (isMapField(field)) {
    const entry = types.get(strip(field.typeName)).desc;
    schema = { type: "object", additionalProperties: valueSchema(entry.field.find((f) => f.name === "value")) };
  } else if (field.label === "LABEL_REPEATED") {
    schema = { type: "array", items: valueSchema(field) };
  } else {
    schema = valueSchema(field);
    const presence = field.proto3Optional === true || (field.type === "TYPE_MESSAGE" && !schema.nullable);
    if (presence) {
      schema = schema.$ref ? { allOf: [schema], nullable: true } : { ...schema, nullable: true };
    }
  }
  if (comment) schema = schema.$ref ? { allOf: [schema], description: comment } : { description: comment, ...schema };
  return schema;
}

/** Properties of a message, optionally without some fields (bound from the path). */
function messageProperties(fullName, omit = new Set()) {
  const t = types.get(fullName);
  const properties = {};
  (t.desc.field ?? []).forEach((f, i) => {
    if (omit.has(f.name)) return;
    properties[f.name] = fieldSchema(f, fieldComments.get(`${fullName}#${i}`));
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

function bindings(rule) {
  const list = [];
  for (const m of METHODS) if (rule[m]) list.push({ method: m, path: rule[m], body: rule.body, responseBody: rule.responseBody });
  if (rule.custom) list.push({ method: rule.custom.kind.toLowerCase(), path: rule.custom.path, body: rule.body });
  for (const extra of rule.additionalBindings ?? []) list.push(...bindings(extra));
  return list;
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

const ERROR_RESPONSES = {
  400: ["BadRequest", "The request is invalid (`invalid_argument`); `field` or `violations` name what is wrong."],
  401: ["Unauthenticated", "The API key is missing, malformed, unknown or revoked (`unauthenticated`)."],
  403: ["PermissionDenied", "The API key lacks the scope this endpoint requires (`permission_denied`)."],
  404: ["NotFound", "No such resource in the key's account (`not_found`)."],
  409: ["Conflict", "The request conflicts with the current state (`already_exists` / `aborted`)."],
  413: ["PayloadTooLarge", "The request body is too large (`resource_exhausted`)."],
  429: ["TooManyRequests", "Too many requests (`resource_exhausted`); retry later."],
  500: ["Internal", "An unexpected server error (`internal`)."],
  503: ["Unavailable", "The service or its database is unavailable (`unavailable`); retry later."],
};

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
    for (const b of bindings(rule)) {
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
          schema: valueSchema(entry.f),
        });
      }
      const bound = new Set(params.map((p) => p.split(".")[0]));
      if (b.body === "*") {
        const name = bound.size ? ensureMessage(input, bound, `${schemaName(input)}Body`) : ensureMessage(input);
        op.requestBody = { required: true, content: { "application/json": { schema: { $ref: `#/components/schemas/${name}` } } } };
      } else {
        if (b.body) {
          const entry = fieldByName.get(b.body);
          op.requestBody = {
            required: true,
            content: { "application/json": { schema: fieldSchema(entry.f, fieldComments.get(`${input}#${entry.i}`)) } },
          };
          bound.add(b.body);
        }
        // The remaining fields are query parameters (scalars, enums and repeated scalars).
        (inputDesc.field ?? []).forEach((f, i) => {
          if (bound.has(f.name)) return;
          if (f.type === "TYPE_MESSAGE" && !WKT[strip(f.typeName)]) return; // not expressible as a query parameter
          const schema = f.label === "LABEL_REPEATED" ? { type: "array", items: valueSchema(f) } : valueSchema(f);
          delete schema.nullable;
          const param = { name: f.name, in: "query", required: false, description: fieldComments.get(`${input}#${i}`), schema };
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
          content: {
            "application/json": {
              schema: { allOf: [{ $ref: "#/components/schemas/Success" }, ref(output)] },
            },
          },
        },
      };
      const statuses = [400, 401, 403];
      if (params.length) statuses.push(404);
      if (b.method !== "get") statuses.push(409, 413);
      statuses.push(429, 500, 503);
      for (const s of statuses) op.responses[s] = { $ref: `#/components/responses/${ERROR_RESPONSES[s][0]}` };
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
          description: "The gRPC status code name in snake_case, e.g. `invalid_argument`, `unauthenticated`, `not_found`.",
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
for (const [status, [name, description]] of Object.entries(ERROR_RESPONSES)) {
  responses[name] = { description: `${status}: ${description}`, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
}

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
    responses,
    schemas: sortedSchemas,
  },
};

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
