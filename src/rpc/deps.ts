import type { Logger } from "../log.js";
import type { Store } from "../storage/store.js";

/** What the handlers depend on. */
export interface HandlerDeps {
  store: Store;
  log: Logger;
  /** The current time; tests pin it. */
  now: () => Date;
}
