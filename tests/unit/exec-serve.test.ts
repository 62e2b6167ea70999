/**
 * The worker hosts' shared pieces: serveRuntime (one method list for the Node sandbox thread and the browser
 * worker) and the prelude bridge, bound at start. Real workers are covered by tests/integration/exec-*.test.ts
 * (Node) and tests/e2e/executor.test.ts (Chromium).
 */
import { describe, expect, it } from "vitest";
import { bindPrelude, type RuntimeApi } from "../../src/exec/runtime.ts";
import { callServed, RUNTIME_METHODS, serveRuntime } from "../../src/exec/serve-runtime.ts";

/** A runtime whose methods record their calls and answer their own name. */
function fakeRuntime(calls: string[]): RuntimeApi {
  const answer =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push(`${name}(${args.map((a) => JSON.stringify(a)).join(",")})`);
      return name === "run" || name === "runCandidate"
        ? Promise.resolve({ logs: "", output: name, isFinalAnswer: false })
        : name;
    };
  return Object.fromEntries(RUNTIME_METHODS.map((m) => [m, answer(m)])) as unknown as RuntimeApi;
}

describe("serveRuntime", () => {
  it("serves every RuntimeApi method and the host's extras, nothing else", () => {
    const served = serveRuntime(Promise.resolve(fakeRuntime([])), { ready: async () => true });
    expect(Object.keys(served).sort()).toEqual([...RUNTIME_METHODS, "ready"].sort());
    expect(RUNTIME_METHODS).toEqual(
      expect.arrayContaining(["run", "runCandidate", "commitCandidate", "replay", "prepare", "probeGlobals"]),
    );
  });

  it("each method waits for set-up, then calls the runtime with its arguments", async () => {
    const calls: string[] = [];
    let started!: (api: RuntimeApi) => void;
    const served = serveRuntime(new Promise<RuntimeApi>((resolve) => (started = resolve)), {});
    const pending = served.run("x = 1", 500);
    await Promise.resolve();
    expect(calls).toEqual([]);
    started(fakeRuntime(calls));
    await expect(pending).resolves.toMatchObject({ output: "run" });
    await expect(callServed(served, "replay", [["a"], 10])).resolves.toBe("replay");
    expect(calls).toEqual(['run("x = 1",500)', 'replay(["a"],10)']);
  });

  it("a failed set-up rejects every call with its reason (and is not an unhandled rejection)", async () => {
    const served = serveRuntime(Promise.reject(new Error("the Python sandbox could not close: fetch")), {});
    await expect(served.reset()).rejects.toThrow("could not close: fetch");
    await expect(callServed(served, "prepare", ["import sympy"])).rejects.toThrow("could not close: fetch");
  });

  it("answers only its own methods by name, not what the prototype holds", async () => {
    const served = serveRuntime(Promise.resolve(fakeRuntime([])), {});
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "evalJs", "nope"]) {
      await expect(callServed(served, name, [])).rejects.toThrow(`no method ${name}`);
    }
  });

  it("refuses an extra that would shadow a runtime method", () => {
    expect(() => serveRuntime(Promise.resolve(fakeRuntime([])), { run: async () => "mine" })).toThrow(
      'extra "run" shadows a runtime method',
    );
  });
});

describe("the prelude bridge", () => {
  const names = [
    "configure",
    "reset",
    "run",
    "run_candidate",
    "hold_candidate",
    "commit_candidate",
    "discard_candidates",
    "replay",
    "packages_to_load",
    "installed",
    "site_packages",
    "import_packages",
  ];
  const moduleWith = (present: string[]) => ({
    get: (name: string) => (present.includes(name) ? () => name : name === "reset" ? 42 : undefined),
  });

  it("binds every function the runtime calls", () => {
    const bridge = bindPrelude(moduleWith(names));
    expect(bridge.packages_to_load("")).toBe("packages_to_load");
  });

  it("fails at start naming each function the prelude lacks (or holds as a non-function)", () => {
    const present = names.filter((n) => n !== "run_candidate" && n !== "reset");
    expect(() => bindPrelude(moduleWith(present))).toThrow(
      "python prelude: missing functions reset, run_candidate (src/exec/python/prelude/)",
    );
  });
});
