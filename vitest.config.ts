import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // A worker runs file after file without a fresh module registry (the CLI's pooled executor and
    // Vite's transforms are then shared too): 10% less CPU in all. So a test file must leave no global
    // state behind (mocks, timers, globals, process.env, cwd): restore what you change in afterAll.
    isolate: false,
    // Generous: integration tests start Pyodide and llama.cpp, and CI machines have two shared cores.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Pyodide workers and Chromium are heavy; two cores do not like many at once.
    maxWorkers: 2,
    fileParallelism: true,
    projects: [
      // Pure functions and fakes: threads start fastest (`npm run test:fast` runs only these).
      { extends: true, test: { name: "unit", include: ["tests/unit/**/*.test.ts"], pool: "threads" } },
      // Real Pyodide sandboxes, llama.cpp and the in-process CLI: a process per file keeps native addons
      // and child processes apart.
      {
        extends: true,
        test: { name: "integration", include: ["tests/integration/**/*.test.ts"], pool: "forks" },
      },
      // Chromium through playwright-core.
      // The page's build and the test shard are made once for all of them (tests/e2e/global-setup.ts).
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          pool: "forks",
          globalSetup: ["tests/e2e/global-setup.ts"],
        },
      },
    ],
  },
});
