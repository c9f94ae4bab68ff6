import type { Migration } from "./migration.js";

/**
 * `message_firsts` layout 2 (a message's first human open/click on its open/click document).
 * Nothing is converted (layout-1 messages keep theirs); the version moves so that an older
 * build, which would read a layout-2 message's missing `…|hopen` document as "no human first
 * yet" and count it again, refuses to start on this database (NewerDataError).
 */
export const m012: Migration = {
  version: 12,
  what: "message_firsts layout 2 (human firsts on the open/click document; nothing converted)",
  run: async () => [],
};
