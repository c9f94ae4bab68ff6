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
