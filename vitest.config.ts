import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Pyodide workers and Chromium are heavy; two cores do not like many at once.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
