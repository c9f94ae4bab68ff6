import type { Logger } from "../log.js";
import type { Lifecycle } from "../server/availability.js";
import type { Store } from "../storage/store.js";

/** What the handlers depend on. */
export interface HandlerDeps {
  store: Store;
  log: Logger;
  /** The current time; tests pin it. */
  now: () => Date;
  /** Draining after SIGTERM (health reports NOT_SERVING). */
  life: Lifecycle;
}
