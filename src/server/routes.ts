import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { AnalyticsService } from "../../gen/es/misar/analytics/v1/analytics_service_pb.js";
import { IngestService } from "../../gen/es/misar/analytics/v1/ingest_service_pb.js";
import { TrackService } from "../../gen/es/misar/analytics/v1/track_service_pb.js";
import type { ScopeMap } from "../auth/interceptor.js";
import { analyticsHandlers } from "../rpc/analytics.js";
import type { HandlerDeps } from "../rpc/deps.js";
import { Health, healthHandlers } from "../rpc/health.js";
import { ingestHandlers } from "../rpc/ingest.js";
import { ServerReflection, reflectionHandlers } from "../rpc/reflection.js";
import { trackHandlers } from "../rpc/track.js";

/** The public services, each with the scope its key must carry. */
export const publicServices: readonly { service: DescService; scope: "analytics" | "track" | "ingest" }[] = [
  { service: AnalyticsService, scope: "analytics" },
  { service: TrackService, scope: "track" },
  { service: IngestService, scope: "ingest" },
];

export const scopes: ScopeMap = new Map(publicServices.map((s) => [s.service.typeName, s.scope]));

/** Registers every service: the one place routes are declared. */
export function routes(deps: HandlerDeps) {
  return (router: ConnectRouter) => {
    router.service(AnalyticsService, analyticsHandlers(deps));
    router.service(TrackService, trackHandlers(deps));
    router.service(IngestService, ingestHandlers(deps));
    router.service(Health, healthHandlers(deps, publicServices.map((s) => s.service.typeName)));
    router.service(ServerReflection, reflectionHandlers([...publicServices.map((s) => s.service), Health]));
  };
}
