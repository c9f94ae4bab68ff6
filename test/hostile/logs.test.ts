// Whatever a client sends, the log holds no email address and no key material, and a client that
// gives up is not an error.
import { connect as netConnect } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createLogger } from "../../src/log.js";
import { startService, type TestService } from "../helpers/service.js";
import { until } from "../helpers/until.js";
import { RPC_PROTOCOLS, callRest, callRpc } from "./wire.js";
import { GET_OVERVIEW, TRACK_PURCHASE } from "./inputs.js";

const lines: string[] = [];
let svc: TestService;
let key: string;
beforeAll(async () => {
  svc = await startService({ log: createLogger("debug", (l) => lines.push(l)) });
  ({ key } = await svc.newAccount());
});
afterAll(async () => {
  await svc?.close();
});

test("a hostile run's log holds no email address or key material", async () => {
  const secret = key.slice(4); // the 32 secret characters
  const email = "leak.me@example.com";
  await callRest(svc, "GET", `/api/v1/analytics/overview?period=${email}`, undefined, { key });
  await callRest(svc, "GET", `/api/v1/analytics/overview?period=${key}`, undefined, { key });
  await callRest(svc, "GET", `/api/v1/analytics/overview?period=${secret}`, undefined, { key });
  await callRest(svc, "GET", `/api/v1/analytics/overview?${email}=1`, undefined, { key });
  await callRest(svc, "GET", `/api/v1/analytics/campaigns/${encodeURIComponent(email)}`, undefined, { key });
  await callRest(svc, "GET", "/api/v1/analytics/overview", undefined, { headers: { authorization: `Bearer ${email}`, "x-request-id": key } });
  await callRest(svc, "POST", "/api/v1/track/purchase", JSON.stringify({ contact_email: "not-an-address@", amount: -1, currency: email, order_id: email, [email]: key }), { key });
  for (const protocol of RPC_PROTOCOLS) {
    await callRpc(svc, protocol, GET_OVERVIEW, protocol === "connect-json" ? JSON.stringify({ period: email, from: key }) : new Uint8Array(0), { key, headers: { "x-request-id": secret } });
    await callRpc(svc, protocol, TRACK_PURCHASE, protocol === "connect-json" ? `{"contactEmail":"${email}","currency":"${secret}"}` : new Uint8Array(0), { key });
  }
  // Refused before decoding, with the unknown key (an address) in the logged message.
  await callRpc(svc, "connect-json", TRACK_PURCHASE, JSON.stringify({ [email]: 1, [key]: 2 }), { key });
  const log = lines.join("\n");
  expect(lines.length).toBeGreaterThan(10);
  expect(log).not.toMatch(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/);
  expect(log).not.toContain(secret.slice(0, 12));
  expect(log).not.toContain(secret.slice(-12));
  expect(log).toContain("<email:"); // the addresses were there, hashed
});

test("a client that gives up mid-body is logged below error", async () => {
  lines.length = 0;
  await new Promise<void>((resolve) => {
    const s = netConnect(svc.port, "127.0.0.1", () => {
      s.write(`POST /api/v1/track/event HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"event_name"`);
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 100);
    });
  });
  // Logged when the service sees the close (soon, but later on a loaded machine).
  expect(await until(() => lines.some((l) => l.includes("abandoned") || l.includes("closed the request")), 10_000)).toBe(true);
  expect(lines.filter((l) => JSON.parse(l).level === "error")).toEqual([]);
});

test("a flood of refusals is counted, not logged line by line", async () => {
  lines.length = 0;
  const n = 40;
  for (let i = 0; i < n; i++) {
    const r = i % 2 ? await callRest(svc, "GET", "/api/v1/analytics/overview") : await callRpc(svc, "grpc", GET_OVERVIEW, new Uint8Array(0));
    expect(r.code).toBe("unauthenticated");
  }
  // The counts of the last second are logged once it is over: until every refusal is accounted for.
  const refusals = () => lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "refused");
  const counted = () => refusals().reduce((sum, l) => sum + 1 + (l.similar_not_logged ?? 0), 0);
  await until(() => counted() >= n, 10_000);
  const refused = refusals();
  expect(refused.length).toBeLessThan(10);
  expect(counted()).toBe(n);
  expect(refused[0]).toMatchObject({ code: "unauthenticated", address: "127.0.0.1", error: expect.stringContaining("missing API key") });
});
