import { EmailEventType } from "../../gen/es/misar/analytics/v1/ingest_service_pb.js";
import { EMAIL_EVENT_KINDS, type EmailEventKind } from "../storage/types.js";

/**
 * The stored kind of a wire event type, by name (`EMAIL_EVENT_TYPE_OPEN` → `open`), never by the
 * enum's number: a new enum value is a new kind with no renumbering, and a test fails if the
 * enum and the stored names drift apart. Undefined for UNSPECIFIED and values this build does
 * not know.
 */
export function eventKind(type: EmailEventType): EmailEventKind | undefined {
  const name = (EmailEventType[type] as string | undefined)?.toLowerCase();
  return EMAIL_EVENT_KINDS.find((k) => k === name);
}
