import { getOption, type DescMethod, type DescMethodUnary, type DescService } from "@bufbuild/protobuf";
import { http } from "../../gen/es/google/api/annotations_pb.js";

/** A REST route, derived from one RPC's google.api.http binding. */
export interface RestRoute {
  httpMethod: string;
  /** The binding's template, e.g. /api/v1/analytics/campaigns/{id}. */
  template: string;
  pattern: RegExp;
  /** Request fields bound to path segments, in order. */
  pathParams: string[];
  /** "*" (the whole body is the request), "" (no body: the rest come from the query string). */
  body: string;
  method: DescMethodUnary;
}

/** Reads the google.api.http annotation of every unary RPC of the services. */
const isUnary = (m: DescMethod): m is DescMethodUnary => m.methodKind === "unary";

export function restRoutes(services: DescService[]): RestRoute[] {
  const routes: RestRoute[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      const rule = getOption(method, http);
      if (rule.pattern.case === undefined) continue;
      if (!isUnary(method)) throw new Error(`${method.name}: only unary RPCs can have REST bindings`);
      if (rule.pattern.case === "custom") throw new Error(`${method.name}: custom HTTP bindings are not supported`);
      if (rule.body !== "" && rule.body !== "*") throw new Error(`${method.name}: only body "*" or none is supported`);
      const template = rule.pattern.value;
      const pathParams: string[] = [];
      const source = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{([a-z_][a-z0-9_]*)\}/g, (_m, name: string) => {
        pathParams.push(name);
        return "([^/]+)";
      });
      if (/[{}]/.test(source)) throw new Error(`${method.name}: unsupported path template ${template}`);
      routes.push({
        httpMethod: rule.pattern.case.toUpperCase(),
        template,
        pattern: new RegExp(`^${source}$`),
        pathParams,
        body: rule.body,
        method,
      });
    }
  }
  return routes;
}
