// One port for HTTP/1.1 and cleartext HTTP/2: every connection starts on the HTTP/1.1 parser, and
// an HTTP/2 preface, however it is split across reads, hands the connection to HTTP/2
// (src/server/listener.ts); malformed HTTP/1.1 gets Node's own answers.
import { connect } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startService, type TestService } from "../helpers/service.js";

let svc: TestService;
beforeAll(async () => (svc = await startService()));
afterAll(() => svc?.close());

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]); // an empty SETTINGS frame

/**
 * Writes `parts` 30 ms apart on a fresh connection; what came back until the service closed,
 * `enough` of it came, or 5 s passed (a service that keeps the connection open without answering
 * enough: the test then fails; the answers themselves come at once).
 */
function exchange(parts: Buffer[], enough = (_: Buffer) => false): Promise<Buffer> {
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    const s = connect(svc.port, "127.0.0.1", async () => {
      for (const p of parts) {
        s.write(p);
        await new Promise((r) => setTimeout(r, 30));
      }
    });
    s.on("data", (d: Buffer) => {
      got.push(d);
      if (enough(Buffer.concat(got))) done();
    });
    s.on("error", () => undefined);
    const done = () => {
      s.destroy();
      resolve(Buffer.concat(got));
    };
    s.on("close", done);
    setTimeout(done, 5000);
  });
}

/** The frame types in a run of HTTP/2 frames. */
function frameTypes(b: Buffer): number[] {
  const types: number[] = [];
  for (let at = 0; at + 9 <= b.length; at += 9 + b.readUIntBE(at, 3)) types.push(b[at + 3]!);
  return types;
}

test("an HTTP/2 preface split anywhere across reads is served as HTTP/2", async () => {
  for (const cut of [0, 1, 3, 16, 18, 23, 24]) {
    const parts = cut === 0 ? [Buffer.concat([PREFACE, SETTINGS])] : [PREFACE.subarray(0, cut), Buffer.concat([PREFACE.subarray(cut), SETTINGS])];
    const back = await exchange(parts, (b) => frameTypes(b).length >= 2);
    // The server's own SETTINGS, then its acknowledgement of ours.
    expect(frameTypes(back).slice(0, 2), `split at ${cut}`).toEqual([4, 4]);
  }
});

test("malformed HTTP/1.1 gets Node's answers: 400, and 431 for headers over the limit", async () => {
  expect((await exchange([Buffer.from("NOT HTTP AT ALL\r\n\r\n")])).toString("latin1")).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  const huge = Buffer.from(`GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`);
  expect((await exchange([huge])).toString("latin1")).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
});

test("a preface after an HTTP/1.1 request on the same connection is not HTTP/2 (prior knowledge is from the first byte)", async () => {
  const back = await exchange([Buffer.from("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n"), Buffer.concat([PREFACE, SETTINGS])]);
  const text = back.toString("latin1");
  expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  // The second "request" is refused as HTTP/1.1, and no HTTP/2 frame follows the answer.
  expect(text).toContain("HTTP/1.1 400 Bad Request\r\n");
});

test("a preface after a request answered 417 (an Expect Node cannot meet) is not HTTP/2 either", async () => {
  const back = await exchange([Buffer.from("GET /healthz HTTP/1.1\r\nhost: x\r\nexpect: foo\r\n\r\n"), Buffer.concat([PREFACE, SETTINGS])]);
  const text = back.toString("latin1");
  expect(text).toMatch(/^HTTP\/1\.1 417 Expectation Failed\r\n/);
  expect(text).toContain("HTTP/1.1 400 Bad Request\r\n");
});
