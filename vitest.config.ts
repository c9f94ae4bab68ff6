import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Each file gets its own database; files run in parallel against one database server.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
