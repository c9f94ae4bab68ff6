// The stored counter names and the wire enums are tied by name, not by position: a new enum value
// without a counter of its name, or a renamed one, fails here rather than counting under another.
import { expect, test } from "vitest";
import { BounceType, EmailEventType } from "../../gen/es/misar/analytics/v1/ingest_service_pb.js";
import { eventKind } from "../../src/rpc/event-kind.js";
import { COUNT_KEYS, EMAIL_EVENT_KINDS } from "../../src/storage/types.js";

const values = <E extends object>(e: E) => Object.values(e).filter((v): v is number => typeof v === "number");

test("every EmailEventType but UNSPECIFIED maps to the stored kind of the same name, one to one", () => {
  const kinds = values(EmailEventType)
    .filter((t) => t !== EmailEventType.UNSPECIFIED)
    .map((t) => [EmailEventType[t], eventKind(t)]);
  for (const [name, kind] of kinds) expect(kind, name).toBe(String(name).toLowerCase());
  expect(kinds.map(([, k]) => k).sort()).toEqual([...EMAIL_EVENT_KINDS].sort());
  expect(eventKind(EmailEventType.UNSPECIFIED)).toBeUndefined();
  expect(eventKind(99 as EmailEventType)).toBeUndefined();
});

test("every event kind and bounce type is a counter of the same name", () => {
  for (const k of EMAIL_EVENT_KINDS) expect(COUNT_KEYS).toContain(k);
  for (const t of values(BounceType).filter((t) => t !== BounceType.UNSPECIFIED)) {
    expect(COUNT_KEYS).toContain(BounceType[t]!.toLowerCase());
  }
  expect(new Set(COUNT_KEYS).size).toBe(COUNT_KEYS.length);
});
