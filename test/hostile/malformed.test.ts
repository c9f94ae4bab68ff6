// Undecodable bodies are the client's fault on every protocol: INVALID_ARGUMENT (REST and Connect
// 400, gRPC 3), never INTERNAL, no decoder text in the answer, nothing stored.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { gzipSync } from "node:zlib";
import type { TestService } from "../helpers/service.js";
import { storedFor } from "../write/support.js";
import { BINARY_PROTOCOLS, RPC_PROTOCOLS, callRest, callRpc, frame, grpc, type Answer, startWithAccount } from "./wire.js";
import { GET_OVERVIEW, MALFORMED_BINARY, RECORD_EVENTS, TRACK_EVENT, TRACK_PURCHASE, deepJsonObject, deepPropertiesBinary, purchaseBinary } from "./inputs.js";

let svc: TestService, account: string, key: string;
beforeAll(async () => ({ svc, account, key } = await startWithAccount()));
afterAll(() => svc?.close());

function expectInvalid(a: Answer, fields: string[], label: string): void {
  expect(a.code, `${label}: ${a.message}`).toBe("invalid_argument");
  if (a.status !== 200) expect(a.status, label).toBe(400);
  expect(a.fields, `${label}: ${a.message}`).toEqual(fields);
  expect(a.message, label).not.toMatch(/premature EOF|illegal tag|call stack|parse binary|cannot decode/i);
}

describe("malformed protobuf → INVALID_ARGUMENT on every binary protocol and RPC", () => {
  for (const protocol of BINARY_PROTOCOLS) {
    for (const rpc of [GET_OVERVIEW, TRACK_EVENT, TRACK_PURCHASE, RECORD_EVENTS]) {
      test(`${protocol} ${rpc.split("/")[1]}`, async () => {
        for (const m of MALFORMED_BINARY) {
          const a = await callRpc(svc, protocol, rpc, m.body, { key });
          expect(a.code, `${m.name}: ${a.message}`).toBe("invalid_argument");
          if (protocol === "connect-binary") expect(a.status, m.name).toBe(400);
          expect(a.fields.length, `${m.name} names a field or the body`).toBe(1);
          expect(a.message, m.name).not.toMatch(/premature EOF|illegal tag|call stack|parse binary/i);
        }
      });
    }
  }
  test("nothing was written", async () => {
    expect(await storedFor(svc, account)).toEqual({});
  });
});

test("reflection's request stream: each malformed message → INVALID_ARGUMENT, a good one still answered", async () => {
  const REFLECTION = "grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
  for (const m of MALFORMED_BINARY) {
    const a = await grpc(svc, REFLECTION, frame(m.body));
    expect(a.code, `${m.name}: ${a.message}`).toBe("invalid_argument");
    expect(a.message, m.name).not.toMatch(/premature EOF|illegal tag|call stack|parse binary|cant skip|end group/i);
  }
  // list_services (field 7, a string): the stream still works.
  const ok = await grpc(svc, REFLECTION, frame(new Uint8Array([0x3a, 0x00])));
  expect(ok.code).toBe("ok");
});

describe("bad framing → INVALID_ARGUMENT (gRPC, gRPC-Web)", () => {
  const valid = purchaseBinary("frame_ok");
  const cases: { name: string; body: Uint8Array; headers?: Record<string, string> }[] = [
    { name: "a compressed flag without grpc-encoding", body: frame(valid, 1) },
    { name: "a frame header cut short", body: Uint8Array.from([0, 0, 0]) },
    { name: "a frame longer than the body", body: Uint8Array.from([0, 0, 0, 0, 10, 1, 2]) },
    { name: "an unknown flag", body: frame(valid, 0x40) },
    { name: "two messages for a unary call", body: Uint8Array.from([...frame(valid), ...frame(valid)]) },
    { name: "no message at all", body: new Uint8Array(0) },
    { name: "gzip that is not gzip", body: frame(Uint8Array.from([1, 2, 3, 4]), 1), headers: { "grpc-encoding": "gzip" } },
  ];
  for (const protocol of ["grpc", "grpc-web"] as const) {
    test(protocol, async () => {
      for (const c of cases) {
        const a = await callRpc(svc, protocol, TRACK_PURCHASE, c.body, { key, raw: true, headers: c.headers });
        expectInvalid(a, ["body"], `${protocol}: ${c.name}`);
      }
      expect(await storedFor(svc, account)).toEqual({});
    });
  }
  test("a properly gzip-compressed message is accepted (control)", async () => {
    const a = await callRpc(svc, "grpc", TRACK_PURCHASE, frame(gzipSync(purchaseBinary("gzip_ok")), 1), { key, raw: true, headers: { "grpc-encoding": "gzip" } });
    expect(a.code, a.message).toBe("ok");
  });
});

// Decoding refuses more than 32 levels; validation then allows `properties` 8 (validate.ts).
describe("nesting deeper than 32 → INVALID_ARGUMENT naming properties, before decoding", () => {
  const DECODE_REFUSAL = /properties: nests objects and arrays more than \d+ deep/;
  test("binary protocols, 10,000 deep and 33 deep; 8 deep is accepted", async () => {
    const deep = deepPropertiesBinary(10_000);
    for (const protocol of BINARY_PROTOCOLS) {
      for (const [depth, body] of [[10_000, deep], [33, deepPropertiesBinary(33)]] as const) {
        const a = await callRpc(svc, protocol, TRACK_EVENT, body, { key });
        expectInvalid(a, ["properties"], `${protocol} ${depth}`);
        expect(a.message).toMatch(DECODE_REFUSAL);
      }
    }
    const ok = await callRpc(svc, "grpc", TRACK_EVENT, deepPropertiesBinary(8), { key });
    expect(ok.code, ok.message).toBe("ok");
  });
  test("REST and Connect JSON, 10,000 deep and 33 deep; 8 deep is accepted", async () => {
    const body = (depth: number) => `{"event_name":"deep","contact_email":"user@example.com","properties":${deepJsonObject(depth)}}`;
    for (const depth of [10_000, 33]) {
      const r = await callRest(svc, "POST", "/api/v1/track/event", body(depth), { key });
      expectInvalid(r, ["properties"], `rest ${depth}`);
      expect(r.message).toMatch(DECODE_REFUSAL);
      const c = await callRpc(svc, "connect-json", TRACK_EVENT, body(depth), { key });
      expectInvalid(c, ["properties"], `connect-json ${depth}`);
      expect(c.message).toMatch(DECODE_REFUSAL);
    }
    expect((await callRest(svc, "POST", "/api/v1/track/event", body(8), { key })).code).toBe("ok");
    expect((await callRpc(svc, "connect-json", TRACK_EVENT, body(8), { key })).code).toBe("ok");
  });
  test("500,000 nested arrays are refused before parsing", async () => {
    const body = `{"event_name":"deep","contact_email":"user@example.com","properties":{"a":${"[".repeat(500_000)}${"]".repeat(500_000)}}}`;
    expectInvalid(await callRest(svc, "POST", "/api/v1/track/event", body, { key }), ["properties"], "rest");
    expectInvalid(await callRpc(svc, "connect-json", TRACK_EVENT, body, { key }), ["properties"], "connect-json");
  });
});

describe("malformed JSON → 400 naming the body", () => {
  for (const [name, body] of [
    ["truncated", '{"event_name":'],
    ["not JSON", "\u0000\u0001"],
    ["an invalid byte outside a string", Buffer.from([0x7b, 0xff, 0x7d])],
  ] as const) {
    test(name, async () => {
      expectInvalid(await callRest(svc, "POST", "/api/v1/track/event", body, { key }), ["body"], "rest");
      expectInvalid(await callRpc(svc, "connect-json", TRACK_EVENT, body, { key }), ["body"], "connect-json");
    });
  }
});

test("a malformed body to an unknown method is 404 / unimplemented, not internal", async () => {
  for (const protocol of RPC_PROTOCOLS) {
    const a = await callRpc(svc, protocol, "misar.analytics.v1.TrackService/Nope", Uint8Array.from([0xff]), { key });
    expect(a.code, protocol).toBe("unimplemented");
  }
});
