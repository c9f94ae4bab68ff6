import { afterAll, beforeAll, expect, test } from "vitest";
import { rest, startService, type TestService } from "../helpers/service.js";
let svc: TestService;
beforeAll(async () => { svc = await startService({ now: new Date("2026-04-06T12:00:00Z") }); });
afterAll(() => svc.close());
test("probe", async () => {
  const { key } = await svc.newAccount();
  for (const kind of ["send", "open"]) {
    const t0 = Date.now();
    for (let b = 0; b < 5; b++) {
      const events = Array.from({ length: 1000 }, (_, i) => ({ id: `${kind}${b}-${i}`, type: kind, contact_email: `u${b * 1000 + i}@x.io`, campaign_id: "c1", timestamp: new Date(Date.UTC(2026, 2, 10) + (b * 1000 + i) * 60_000).toISOString().replace(".000", "") }));
      const r = await rest(svc, "POST", "/api/v1/ingest/email-events", { key, body: { events } });
      expect(r.status).toBe(200);
    }
    console.log(kind, (Date.now() - t0) / 5, "ms per 1000");
  }
  const t0 = Date.now();
  const r = await rest(svc, "GET", "/api/v1/analytics/overview?from=2026-03-10T00:17:00Z&to=2026-03-13T10:05:00Z", { key });
  console.log(Date.now() - t0, JSON.stringify(r.body));
});
