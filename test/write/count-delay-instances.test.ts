// Two instances on one database (where several may run): a batch answered by one is in the other's
// very next read, also right after that other counted the account itself. (A lease kept after its
// use, LEASE_TTL_MS/4, here 10 s, until the keeper's next renewal, made the other's counting, and
// so the read, wait past its 2 s: 503. Review s9 F3.)
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { rest, startService, type TestService } from "../helpers/service.js";
import { at, isoSec, post, refOverview, type Ev } from "../read/lib.js";

const now = new Date("2026-04-06T12:00:00Z");
let a: TestService | undefined;
let b: TestService | undefined;

// FerretDB's SQLite backend takes one instance (one writer).
describe.skipIf(inject("databaseKind") === "ferretdb-sqlite")("two instances, counting trailing the 200", () => {
  beforeAll(async () => {
    a = await startService({ now, countDelayMs: 200, leaseTtlMs: 40_000 });
    b = await startService({ now, countDelayMs: 200, leaseTtlMs: 40_000, database: a.store.db.databaseName });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  test("a batch answered by one instance is in the next read on the other, which had just counted the account", async () => {
    const { key } = await a!.newAccount();
    const from = "2026-03-01T00:00:00Z";
    const to = "2026-03-31T23:59:59Z";
    const stored: Ev[] = [];
    for (let round = 0; round < 3; round++) {
      const t0 = at("2026-03-02T10:00:00Z") + round * 3_600_000;
      const batch = (tag: string): Ev[] =>
        Array.from({ length: 20 }, (_, i) => ({ id: `${tag}${round}-${i}`, type: "open" as const, contact_email: `p${i}@example.com`, campaign_id: "spring", ms: t0 + i }));
      // b counts a batch of its own for the account (its read counts it), under the account's lease.
      const own = batch("b");
      expect(await post(b!, key, own)).toEqual({ accepted: own.length, duplicates: 0 });
      stored.push(...own);
      expect((await rest(b!, "GET", `/api/v1/analytics/overview?from=${from}&to=${to}`, { key })).status).toBe(200);
      // a answers one; b's very next read shows it.
      const theirs = batch("a");
      expect(await post(a!, key, theirs)).toEqual({ accepted: theirs.length, duplicates: 0 });
      stored.push(...theirs);
      const t = performance.now();
      const r = await rest(b!, "GET", `/api/v1/analytics/overview?from=${from}&to=${to}`, { key });
      expect(r.status, `round ${round}, after ${Math.round(performance.now() - t)} ms: ${JSON.stringify(r.body)}`).toBe(200);
      expect(r.body).toStrictEqual({ success: true, period: { from: isoSec(at(from)), to: isoSec(at(to)) }, metrics: refOverview(stored, at(from), at(to)) });
    }
  }, 60_000);
});
