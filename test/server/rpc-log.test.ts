// The rpc log line of a 503: a database error keeps the database's own words (at warn), which the
// client's "the database is unavailable" hides; the service's own "retry later" stays at info.
import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import { MongoServerError } from "mongodb";
import { expect, test } from "vitest";
import { createLogger } from "../../src/log.js";
import { loggingInterceptor } from "../../src/server/logging.js";
import { RetryableError } from "../../src/storage/availability.js";

async function logged(err: unknown): Promise<Record<string, unknown>> {
  const lines: string[] = [];
  const handler = loggingInterceptor(createLogger("debug", (l) => lines.push(l)))(() => Promise.reject(err));
  // Only what the interceptor reads of a request (an interceptor test double: the full request
  // type carries a whole method descriptor).
  const req = { header: new Headers(), service: { typeName: "misar.analytics.v1.AnalyticsService" }, method: { name: "GetOverview" }, contextValues: createContextValues() };
  await expect(handler(req as never)).rejects.toBe(err);
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

test("a 503 caused by a database error logs that error at warn", async () => {
  const gone = new MongoServerError({ message: "FATAL: terminating connection due to unexpected postmaster exit (SQLSTATE 57P01)", code: 1 });
  const line = await logged(new ConnectError("the database is unavailable; retry shortly", Code.Unavailable, undefined, undefined, gone));
  expect(line).toMatchObject({ level: "warn", msg: "rpc", code: Code.Unavailable, error: "the database is unavailable; retry shortly" });
  expect(line.cause).toBe(gone.message);
});

test("a 503 the service chose (its own retryable error) stays at info, without a cause", async () => {
  const own = new RetryableError("what was stored for acct_x before this call is not counted yet; retry shortly");
  const line = await logged(new ConnectError(own.message, Code.Unavailable, undefined, undefined, own));
  expect(line).toMatchObject({ level: "info", code: Code.Unavailable });
  expect(line).not.toHaveProperty("cause");
});
