/**
 * The `pocket-agent` executable itself, as users start it (a child process): the other CLI tests call
 * run(argv, io) in-process, so these two check what only a real process shows, its exit code and
 * streams, once on success and once on failure.
 */
import { describe, expect, it } from "vitest";
import { runCliProcess } from "../support/cli.ts";

describe("bin/pocket-agent.js", () => {
  it("answers with the bundled micro-student and exits 0", async () => {
    const result = await runCliProcess(["ask", "What is 17*23+1?", "--threads", "1"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Answer: 392$/m);
    expect(result.stderr).toMatch(/no model named, so the bundled micro runs/);
  });

  it("fails with one line on stderr and exit code 1", async () => {
    const result = await runCliProcess(["ask", "What is 1+1?", "--shard", "/nonexistent/shard"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe("pocket-agent: --shard /nonexistent/shard: no shard at /nonexistent/shard\n");
  });
});
