import type { DescService } from "@bufbuild/protobuf";
import { createServiceImplSpec, type ConnectRouter, type MethodImpl, type ServiceImpl, type ServiceImplSpec } from "@connectrpc/connect";
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

/** Every service with its implementation: the one place they are declared. */
export function services(deps: HandlerDeps): ServiceImplSpec[] {
  return [
    spec(AnalyticsService, analyticsHandlers(deps)),
    spec(TrackService, trackHandlers(deps)),
    spec(IngestService, ingestHandlers(deps)),
    spec(Health, healthHandlers(deps, publicServices.map((s) => s.service.typeName))),
    spec(ServerReflection, reflectionHandlers([...publicServices.map((s) => s.service), Health])),
  ];
}

const spec = <T extends DescService>(service: T, impl: ServiceImpl<T>) => createServiceImplSpec<T>(service, impl);

/** Registers the services' methods on a router. */
export function routes(specs: ServiceImplSpec[]) {
  return (router: ConnectRouter) => {
    for (const spec of specs) {
      for (const m of Object.values(spec.methods)) {
        // Each MethodImplSpec pairs a method with its own kind of impl; the union hides that pairing.
        router.rpc(m.method, m.impl as MethodImpl<typeof m.method>);
      }
    }
  };
}
