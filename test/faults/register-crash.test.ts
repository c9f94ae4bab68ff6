// UpsertCampaign writes `campaigns`, then the account's list. A real service process kills itself
// (-9) between the two (MISAR_TEST_DIE_AT=after-campaign): after a restart, with no retry from the
// client, the repair of the registration's journal entry makes the list agree with `campaigns`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { startServiceProcess, type ServiceProcess } from "../helpers/process.js";
import { call } from "./reference.js";
import type { ListEntryJson } from "../helpers/rest-bodies.js";

const dir = mkdtempSync(join(tmpdir(), "misar-register-"));
let current: ServiceProcess | undefined;
afterAll(async () => {
  await current?.kill9();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a kill -9 between `campaigns` and the list: after a restart the list converges to the registration, unasked", async () => {
  const env = { DATA_DIR: join(dir, "ferretdb"), MONGODB_URI: "", LEASE_TTL_MS: "1000" };
  // The second registration dies after `campaigns` is written, before the list is.
  current = await startServiceProcess({ ...env, MISAR_TEST_DIE_AT: "after-campaign:2" });
  const key = await current.printedKey();
  const put = (url: string, body: unknown) => call(url, key, "PUT", "/api/v1/campaigns/spring", body);
  const list = (url: string, status: string) => call(url, key, "GET", `/api/v1/analytics/campaigns?status=${status}`);

  expect((await put(current.url, { name: "Spring", status: "draft" })).status).toBe(200);
  expect((await list(current.url, "draft")).body.campaigns.map((c: ListEntryJson) => c.campaign.id)).toEqual(["spring"]);
  const sent = { name: "Spring sale", status: "sent", sent_at: "2026-03-02T09:00:00Z" };
  await expect(put(current.url, sent)).rejects.toThrow();
  expect(await current.exited).toBeNull(); // killed by a signal, not exited

  current = await startServiceProcess(env);
  // The registration's journal entry is due: the repair rebuilds the account (reads answer 503 meanwhile).
  await current.waitFor((r) => r.msg === "rebuild finished", 30_000);
  // `campaigns` holds the second registration: the crash came after it.
  const got = await call(current.url, key, "GET", "/api/v1/analytics/campaigns/spring");
  expect(got.status, JSON.stringify(got.body)).toBe(200);
  const registered = got.body.campaign;
  expect(registered).toMatchObject({ name: "Spring sale", status: "sent", sent_at: "2026-03-02T09:00:00Z" });
  let drafts: Awaited<ReturnType<typeof list>> | undefined;
  for (let i = 0; i < 100; i++) {
    drafts = await list(current.url, "draft");
    if (drafts.status === 200 && drafts.body.campaigns.length === 0) break;
    await sleep(100);
  }
  expect(drafts!.body).toEqual({ success: true, campaigns: [], next_page_token: "" });
  const sentList = await list(current.url, "sent");
  expect(sentList.body.campaigns.map((c: ListEntryJson) => c.campaign)).toEqual([registered]);
  const all = await call(current.url, key, "GET", "/api/v1/analytics/campaigns");
  expect(all.body.campaigns.map((c: ListEntryJson) => c.campaign)).toEqual([registered]);
});
