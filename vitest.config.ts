import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Each file gets its own database; files run in parallel against one database server.
    pool: "forks",
    testTimeout: 60_000,
    // The first run on a machine builds FerretDB (go install, minutes) in the global setup.
    hookTimeout: 900_000,
  },
});
