import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startService, type TestService } from "../helpers/service.js";

const run = promisify(execFile);

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(() => svc.close());

/** Runs a client program against the live server with a fresh account (overviews are per account). */
async function runClient(cmd: string, args: string[], campaignId: string) {
  const { key } = await svc.newAccount();
  return run(cmd, args, {
    env: { ...process.env, MISAR_ADDR: svc.addr, MISAR_API_KEY: key, MISAR_CAMPAIGN_ID: campaignId },
    timeout: 280_000,
    maxBuffer: 10 * 1024 * 1024,
  });
}

describe("generated clients on the wire", () => {
  test("the Go client (protoc-gen-go + protoc-gen-go-grpc stubs) records and reads back exact metrics", async () => {
    const { stdout } = await runClient("bash", ["test/clients/run-go.sh"], "go_client_campaign");
    expect(stdout).toContain("go client: ok");
  }, 300_000);

  test("the Python client (protoc + grpc_python_plugin stubs) records and reads back exact metrics", async () => {
    const { stdout } = await runClient("bash", ["test/clients/run-python.sh"], "py_client_campaign");
    expect(stdout).toContain("python client: ok");
  }, 300_000);

  test("the TypeScript @grpc/grpc-js example (ts-proto stubs) prints the overview", async () => {
    const { stdout } = await runClient("npx", ["tsx", "examples/typescript/grpc-js-client.ts", "7d"], "unused");
    const body = JSON.parse(stdout) as { period: { from: string; to: string }; metrics: Record<string, unknown> };
    expect(new Date(body.period.to).getTime() - new Date(body.period.from).getTime()).toBe((8 * 86400 - 1) * 1000);
    expect(body.metrics).toBeTypeOf("object");
  }, 120_000);
});
