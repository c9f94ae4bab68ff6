// Calls AnalyticsService.GetOverview over gRPC with the ts-proto @grpc/grpc-js stubs (gen/ts-proto)
// and prints the result as JSON.
//   MISAR_ADDR=127.0.0.1:50051 MISAR_API_KEY=msk_... npx tsx examples/typescript/grpc-js-client.ts [period]
// Plaintext h2c here; use credentials.createSsl() for a TLS endpoint.
import { credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import {
  AnalyticsServiceClient,
  GetOverviewRequest,
  GetOverviewResponse,
} from "../../gen/ts-proto/misar/analytics/v1/analytics_service.js";

const addr = process.env.MISAR_ADDR ?? "127.0.0.1:50051";
const apiKey = process.env.MISAR_API_KEY;
if (!apiKey) {
  console.error("set MISAR_API_KEY (a key with the analytics scope)");
  process.exit(2);
}

const client = new AnalyticsServiceClient(addr, credentials.createInsecure());
const metadata = new Metadata();
metadata.set("authorization", `Bearer ${apiKey}`);

const request = GetOverviewRequest.fromPartial({ period: process.argv[2] ?? "30d" });
client.getOverview(
  request,
  metadata,
  { deadline: Date.now() + 10_000 },
  (err: ServiceError | null, response: GetOverviewResponse) => {
    client.close();
    if (err) {
      console.error(`GetOverview failed: ${status[err.code]} (${err.code}): ${err.details}`);
      process.exit(1);
    }
    console.log(JSON.stringify(GetOverviewResponse.toJSON(response), null, 2));
  },
);
