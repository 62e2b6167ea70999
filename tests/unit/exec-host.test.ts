/**
 * The executor's host logic (time limits, restarts, replay, candidate bookkeeping) over in-process fake
 * workers, and the small pure helpers. Real Pyodide is covered by tests/integration/exec-*.test.ts.
 */

import type { Remote } from "comlink";
import { describe, expect, it } from "vitest";
import { readPackageManifest } from "../../src/exec/packages.ts";
import { type RawResult, type RuntimeApi, removeNetworkPrimitives } from "../../src/exec/runtime.ts";
import {
  MAX_REPLAY_ACTIONS,
  resolveRuntimeConfig,
  type WorkerConnection,
  WorkerExecutor,
} from "../../src/exec/worker-executor.ts";

const ok = (output: string): RawResult => ({ logs: "", output, isFinalAnswer: false });

/** A worker whose behaviour per code is scripted: "hang" never answers, "crash" dies, else echoes. */
class FakeWorker {
  ran: string[] = [];
  replayed: string[][] = [];
  terminated = false;
  replayAnswer = "";
  private die!: (why: string) => void;
  readonly died = new Promise<string>((resolve) => {
    this.die = resolve;
  });

  connection(): WorkerConnection {
    const api: RuntimeApi = {
      run: (code) => this.exec(code),
      runCandidate: (code) => this.exec(code),
      holdCandidate: () => undefined,
      commitCandidate: () => true,
      discardCandidates: () => undefined,
      reset: () => undefined,
      prepare: async () => "",
      replay: async (codes) => {
        this.replayed.push(codes);
        return this.replayAnswer;
      },
      probeGlobals: () => ({}),
    };
    return {
      api: api as unknown as Remote<RuntimeApi>,
      died: this.died,
      terminate: () => {
        this.terminated = true;
      },
    };
  }

  private exec(code: string): Promise<RawResult> {
    this.ran.push(code);
    if (code === "hang") return new Promise(() => {});
    if (code === "crash") {
      this.die("exit code 1");
      return new Promise(() => {});
    }
    if (code === "fail")
      return Promise.resolve({ ...ok("None"), error: { type: "ValueError", message: "bad" } });
    return Promise.resolve(ok(code));
  }
}

async function executor(timeoutMs = 200) {
  const workers: FakeWorker[] = [];
  const spawn = async () => {
    const worker = new FakeWorker();
    if (workers.length && workers[0]!.replayAnswer) worker.replayAnswer = workers[0]!.replayAnswer;
    workers.push(worker);
    return worker.connection();
  };
  const ex = await WorkerExecutor.create(spawn, { timeoutMs });
  return { ex, workers };
}

describe("restarts", () => {
  it("a runaway action without an interrupt buffer terminates the worker, replays history and goes on", async () => {
    const { ex, workers } = await executor(150);
    await ex.run("a = 1");
    await ex.run("fail");
    await ex.run("b = 2");
    const started = Date.now();
    const r = await ex.run("hang");
    expect(Date.now() - started).toBeLessThan(150 + 1000);
    expect(r.error?.type).toBe("TimeoutError");
    expect(r.error?.message).toBe(
      "Code execution failed due to: TimeoutError: Code execution exceeded the time limit of 0.15 seconds",
    );
    expect(r.restarted).toBe(true);
    expect(r.notice).toContain("re-running the 2 earlier successful action(s)");
    expect(workers[0]!.terminated).toBe(true);
    const next = await ex.run("c = 3");
    expect(next.output).toBe("c = 3");
    expect(workers).toHaveLength(2);
    expect(workers[1]!.replayed).toEqual([["a = 1", "b = 2"]]);
  });

  it("an episode too long to replay is reset after a restart instead (a restart's cost stays bounded)", async () => {
    const { ex, workers } = await executor(150);
    for (let i = 0; i <= MAX_REPLAY_ACTIONS; i++) await ex.run(`v${i} = ${i}`);
    const r = await ex.run("hang");
    expect(r.restarted).toBe(true);
    expect(r.notice).toMatch(new RegExp(`more than ${MAX_REPLAY_ACTIONS} actions, too many to replay`));
    await ex.run("w = 1");
    expect(workers[1]!.replayed).toEqual([]);
    // The new episode is short again: the next restart replays it.
    const again = await ex.run("hang");
    expect(again.notice).toContain("re-running the 1 earlier successful action(s)");
    await ex.run("x = 2");
    expect(workers[2]!.replayed).toEqual([["w = 1"]]);
  });

  it("a crashed worker gives a WorkerCrash result and a fresh worker", async () => {
    const { ex, workers } = await executor();
    const r = await ex.run("crash");
    expect(r.error?.type).toBe("WorkerCrash");
    expect(r.error?.message).toContain("exit code 1");
    expect(r.restarted).toBe(true);
    expect((await ex.run("x")).output).toBe("x");
    expect(workers).toHaveLength(2);
  });

  it("a failed replay resets the namespace and says so on the next result", async () => {
    const { ex, workers } = await executor();
    workers[0]!.replayAnswer = "NameError: y";
    await ex.run("a = 1");
    await ex.run("crash");
    const next = await ex.run("z");
    expect(next.notice).toMatch(
      /Restoring the earlier variables after the restart failed \(NameError: y\); the namespace was reset/,
    );
    // The failed replay's worker was replaced by a clean one.
    expect(workers).toHaveLength(3);
    expect(workers[1]!.terminated).toBe(true);
  });

  it("an abort signal stops a runaway action", async () => {
    const { ex } = await executor(5000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const r = await ex.run("hang", { signal: controller.signal });
    expect(r.error?.type).toBe("AbortError");
    expect(r.restarted).toBe(true);
  });
});

describe("candidates", () => {
  it("identical code runs once and shares the candidate", async () => {
    const { ex, workers } = await executor();
    const a = await ex.runCandidate("same");
    const b = await ex.runCandidate("same");
    expect(b).toMatchObject({ reused: true, candidateId: a.candidateId, output: "same" });
    expect(workers[0]!.ran).toEqual(["same"]);
  });

  it("a candidate whose namespace died with a restarted worker is executed again on commit", async () => {
    const { ex, workers } = await executor();
    const good = await ex.runCandidate("good");
    const bad = await ex.runCandidate("crash");
    expect(bad.restarted).toBe(true);
    await ex.commitCandidate(good.candidateId);
    expect(workers[1]!.ran).toEqual(["good"]);
    const next = await ex.run("after");
    expect(next.notice).toContain("The chosen action was executed again");
  });

  it("commit of an unknown candidate is a clear error and changes nothing", async () => {
    const { ex } = await executor();
    await expect(ex.commitCandidate(99)).rejects.toThrow(/no pending candidate 99/);
    expect((await ex.run("still")).output).toBe("still");
  });
});

describe("bad input", () => {
  it("rejects bad options and codes with clear errors", async () => {
    expect(() => resolveRuntimeConfig({ maxPrintChars: Number.NaN })).toThrow(
      /maxPrintChars must be a positive number/,
    );
    expect(() => resolveRuntimeConfig({ searchTopK: -1 })).toThrow(/searchTopK/);
    expect(resolveRuntimeConfig({})).toEqual({
      authorizedImports: [
        "collections",
        "datetime",
        "itertools",
        "math",
        "queue",
        "random",
        "re",
        "stat",
        "statistics",
        "time",
        "unicodedata",
        "numpy",
        "sympy",
      ],
      maxOutputChars: 20_000,
      maxPrintChars: 50_000,
      searchTopK: 3,
      memoryLimitBytes: 1024 * 2 ** 20,
    });
    expect(resolveRuntimeConfig({ memoryLimitMB: 99_999 }).memoryLimitBytes).toBe(4096 * 2 ** 20);
    expect(() => resolveRuntimeConfig({ memoryLimitMB: 0 })).toThrow(/memoryLimitMB/);
    const { ex } = await executor();
    await expect(ex.run(undefined as unknown as string)).rejects.toThrow(/code must be a string/);
    await ex.dispose();
    await expect(ex.run("1")).rejects.toThrow(/disposed/);
  });

  it("reads the package manifest and explains a malformed one", async () => {
    expect(await readPackageManifest(async () => Promise.reject(new Error("ENOENT")))).toBeNull();
    await expect(readPackageManifest(async () => '{"packages": {"sympy": {"file": 1}}}')).rejects.toThrow(
      /package sympy needs "file" and "requires"/,
    );
    await expect(readPackageManifest(async () => "[]")).rejects.toThrow(/expected \{"packages"/);
    const manifest = await readPackageManifest(async () =>
      new TextEncoder().encode(
        '{"packages": {"mpmath": {"file": "mpmath.zip", "version": "1", "requires": []}}}',
      ),
    );
    expect(manifest?.packages.mpmath?.file).toBe("mpmath.zip");
  });
});

describe("removeNetworkPrimitives", () => {
  it("removes what the scope has and leaves the rest", () => {
    const scope: Record<string, unknown> = {
      fetch: () => 1,
      WebSocket: class {},
      setTimeout,
      require: () => 2,
    };
    const removed = removeNetworkPrimitives(scope);
    expect(removed.sort()).toEqual(["WebSocket", "fetch", "require"]);
    expect(scope.fetch).toBeUndefined();
    expect(scope.require).toBeUndefined();
    expect(scope.setTimeout).toBe(setTimeout);
    expect(() => {
      scope.fetch = () => 3;
    }).toThrow(/read only/);
    expect(scope.fetch).toBeUndefined();
  });
});
