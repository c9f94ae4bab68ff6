import { afterAll, beforeAll, expect, test } from "vitest";
import { rest, startService, type TestService } from "./helpers/service.js";

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(() => svc.close());

test("GET /healthz answers ok while the database answers", async () => {
  const r = await rest(svc, "GET", "/healthz");
  expect(r).toEqual({ status: 200, body: { success: true, status: "ok", repairs_due: 0 } });
});
