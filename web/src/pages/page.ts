import type { Route } from "../router.js";

/** What a page gets: its route and a signal that aborts when the user moves on. */
export interface PageContext<R extends Route = Route> {
  route: R;
  signal: AbortSignal;
}

/**
 * A page loads its data and returns its content; the shell shows the loading state until then and
 * turns failures (401, 403, 404, others) into the right message.
 */
export type Page<R extends Route = Route> = (ctx: PageContext<R>) => Promise<Node>;
