import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: { "~": path.resolve(__dirname, "app"), tests: path.resolve(__dirname, "tests") },
  },
  test: {
    // KEYSHELF_TEST_INCLUDE: tests/runner/exit-codes.test.ts runs its fixtures through this same config.
    include: [process.env.KEYSHELF_TEST_INCLUDE ?? "tests/**/*.test.{ts,tsx}"],
    globalSetup: ["tests/setup/global.ts"],
    setupFiles: ["tests/setup/per-file.ts"],
    pool: "forks",
    // Two cores: two files at a time; each file has its own database.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // Generous: the first request of a file loads the whole build, slow on a busy 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: ["default"],
  },
});
