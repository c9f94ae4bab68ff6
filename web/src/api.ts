import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AnalyticsService } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import { session } from "./session.js";

/** Sends the session's key, unless the call brings its own (sign-in tries a key before keeping it). */
const bearer: Interceptor = (next) => (req) => {
  const key = session.key();
  if (key && !req.header.has("authorization")) req.header.set("authorization", `Bearer ${key}`);
  return next(req);
};

/**
 * The service's own generated client over Connect (binary protobuf over HTTP): every request and
 * answer type comes from gen/es, so a contract change is a type error here, never a silent drift.
 */
export const analytics = createClient(
  AnalyticsService,
  createConnectTransport({ baseUrl: location.origin, useBinaryFormat: true, interceptors: [bearer] }),
);

export function withKey(key: string): { headers: { authorization: string } } {
  return { headers: { authorization: `Bearer ${key}` } };
}
