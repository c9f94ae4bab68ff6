// Which failures are "the database could not be reached" (answered `unavailable`, REST 503),
// as the kill harness met them: errors the driver wraps in a bulk write error, socket errors it
// lets through, errors carried as a cause. Anything else stays an internal error.
import { MongoBulkWriteError, MongoNetworkError, MongoServerError } from "mongodb";
import { expect, test } from "vitest";
import { DatabaseDownError, isUnavailableError } from "../../src/storage/availability.js";
import { LeaseLostError } from "../../src/storage/account-leases.js";

test("network failures in any wrapping are unavailable; other errors are not", () => {
  const network = new MongoNetworkError("connection 1 to 127.0.0.1:1 closed");
  const bulk = new MongoBulkWriteError(network, { insertedCount: 0, matchedCount: 0, modifiedCount: 0, deletedCount: 0, upsertedCount: 0, upsertedIds: {}, insertedIds: {} } as never);
  const epipe = Object.assign(new Error("This socket has been ended by the other party"), { code: "EPIPE" });
  expect(isUnavailableError(network)).toBe(true);
  expect(isUnavailableError(bulk)).toBe(true);
  expect(isUnavailableError(epipe)).toBe(true);
  expect(isUnavailableError(new Error("wrapped", { cause: epipe }))).toBe(true);
  expect(isUnavailableError(new DatabaseDownError("down"))).toBe(true);
  expect(isUnavailableError(new LeaseLostError("lapsed"))).toBe(true);
  expect(isUnavailableError(new MongoServerError({ message: "shutting down", code: 91 }))).toBe(true);
  expect(isUnavailableError(new MongoServerError({ message: "bad value", code: 2 }))).toBe(false);
  expect(isUnavailableError(new TypeError("x is undefined"))).toBe(false);
});

test("FerretDB's internal errors are unavailable when PostgreSQL is gone, not when the error is a bug", () => {
  const internal = (message: string) => new MongoServerError({ message, code: 1 });
  expect(isUnavailableError(internal("FATAL: terminating connection due to unexpected postmaster exit (SQLSTATE 57P01)"))).toBe(true);
  expect(isUnavailableError(internal("connection failure (SQLSTATE 08006)"))).toBe(true);
  expect(isUnavailableError(internal("sorry, too many clients already (SQLSTATE 53300)"))).toBe(true);
  expect(isUnavailableError(internal("failed to connect to `host=127.0.0.1 user=ferretdb database=misar`: dial error: connection refused"))).toBe(true);
  // A protocol violation is the client's (FerretDB's) bug: retrying it forever would hide it.
  expect(isUnavailableError(internal("unexpected message (SQLSTATE 08P01)"))).toBe(false);
  expect(isUnavailableError(internal("duplicate key value violates unique constraint (SQLSTATE 23505)"))).toBe(false);
});
