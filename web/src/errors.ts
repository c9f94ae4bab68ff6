import { Code, ConnectError } from "@connectrpc/connect";

/** What the dashboard does about a failed call. */
export type Failure =
  | { kind: "signed-out"; message: string }
  | { kind: "scope"; scope: string; message: string }
  | { kind: "not-found"; message: string }
  | { kind: "cancelled" }
  | { kind: "other"; message: string };

/** The scope AnalyticsService needs; the server's 403 message names it too. */
const READ_SCOPE = "analytics";

export function classify(err: unknown): Failure {
  const e = ConnectError.from(err);
  switch (e.code) {
    case Code.Unauthenticated:
      return {
        kind: "signed-out",
        message: "The API key was not accepted: it is unknown, mistyped or has been revoked. Sign in with a valid key.",
      };
    case Code.PermissionDenied: {
      const scope = /"([a-z]+)" scope/.exec(e.rawMessage)?.[1] ?? READ_SCOPE;
      return {
        kind: "scope",
        scope,
        message: `This API key is valid but lacks the “${scope}” scope, which the dashboard needs to read metrics. Sign in with a key that has it.`,
      };
    }
    case Code.NotFound:
      return { kind: "not-found", message: e.rawMessage };
    case Code.Canceled:
      return { kind: "cancelled" };
    default:
      return { kind: "other", message: e.rawMessage || "the request failed" };
  }
}
