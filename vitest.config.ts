import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Generous: CLI tests start Pyodide in child processes, and CI machines have two shared cores.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Pyodide workers and Chromium are heavy; two cores do not like many at once.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
