/**
 * Time limits, crashes and memory bombs on the Node executor: each gives a clear error result and the
 * episode goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeExecutor, type Executor } from "../../src/exec/index.ts";

let ex: Executor;

beforeAll(async () => {
  ex = await createNodeExecutor({ timeoutMs: 1500 });
});
afterAll(async () => {
  await ex?.dispose();
});

describe("time limit", () => {
  it("interrupts `while True: pass` within the limit plus 2 s and the next run works", async () => {
    await ex.reset();
    await ex.run("kept = 41");
    const started = Date.now();
    const r = await ex.run("print('looping')\nwhile True: pass");
    expect(Date.now() - started).toBeLessThan(1500 + 2000);
    expect(r.error?.type).toBe("TimeoutError");
    expect(r.error?.message).toBe(
      "Code execution failed at line 'while True: pass' due to: TimeoutError: Code execution exceeded the time limit of 1.5 seconds",
    );
    expect(r.logs).toBe("looping\n");
    // Interrupted in place: same worker, namespace intact.
    expect(r.restarted).toBeUndefined();
    expect((await ex.run("kept + 1")).output).toBe("42");
  });

  it("terminates a worker that swallows the interrupt, restarts it and restores the namespace", async () => {
    await ex.reset();
    await ex.run("kept = 41");
    await ex.run("bad = [1]\nbad[5]"); // failed actions are not replayed
    const started = Date.now();
    const r = await ex.run(
      "while True:\n    try:\n        while True: pass\n    except BaseException:\n        pass\n",
      {
        timeoutMs: 1000,
      },
    );
    // The limit, then 3 s for the interrupt to be answered (INTERRUPT_GRACE_MS), then the kill.
    expect(Date.now() - started).toBeLessThan(1000 + 3000 + 1500);
    expect(r.error?.type).toBe("TimeoutError");
    expect(r.restarted).toBe(true);
    expect(r.notice).toMatch(
      /restarted because the action ran out of time; .*re-running the 1 earlier successful/,
    );
    const next = await ex.run("kept + 1");
    expect(next.error).toBeUndefined();
    expect(next.output).toBe("42");
  });

  it("interrupts a long time.sleep in place (it sleeps in slices)", async () => {
    await ex.reset();
    await ex.run("kept = 5");
    const started = Date.now();
    const r = await ex.run("import time\ntime.sleep(60)");
    expect(Date.now() - started).toBeLessThan(1500 + 2000);
    expect(r.error?.message).toContain("Code execution failed at line 'time.sleep(60)' due to: TimeoutError");
    expect(r.restarted).toBeUndefined();
    const short = await ex.run("t = time.monotonic()\ntime.sleep(0.2)\ntime.monotonic() - t >= 0.2");
    expect(short.output).toBe("True");
    expect((await ex.run("time.sleep(-1)")).error?.type).toBe("ValueError");
  });

  it("applies a per-run limit and an abort signal", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const r = await ex.run("while True: pass", { signal: controller.signal, timeoutMs: 5000 });
    expect(r.error?.type).toBe("AbortError");
    expect((await ex.run("1 + 1")).output).toBe("2");
  });
});

describe("memory bombs and crashes", () => {
  it.each([
    ["x = 'a' * 10**12", "OverflowError"],
    ["x = [0] * 10**10", "OverflowError"],
  ])("%s gives a clear error and the episode goes on", async (code, type) => {
    await ex.reset();
    await ex.run("kept = 1");
    const r = await ex.run(code);
    expect(r.error?.type).toBe(type);
    expect(r.error?.message).toContain(`Code execution failed at line '${code}' due to: ${type}`);
    expect((await ex.run("kept + 1")).output).toBe("2");
  });

  it("exhausting the wasm heap gives MemoryError, a fresh worker and the namespace back", async () => {
    await ex.reset();
    await ex.run("kept = 'still here'");
    const r = await ex.run("hog = []\nwhile True:\n    hog.append(bytearray(10**8))", { timeoutMs: 60_000 });
    expect(r.error?.type).toBe("MemoryError");
    expect(r.restarted).toBe(true);
    expect(r.notice).toMatch(/restarted because the action ran out of memory/);
    const next = await ex.run("print(kept)");
    expect(next.logs).toBe("still here\n");
  }, 120_000);

  it("memoryLimitMB caps Python's heap: under it an allocation works, over it MemoryError", async () => {
    const small = await createNodeExecutor({ memoryLimitMB: 256 });
    try {
      expect((await small.run("a = bytearray(150 * 2**20)\nlen(a) // 2**20")).output).toBe("150");
      const r = await small.run("b = bytearray(300 * 2**20)");
      expect(r.error?.type).toBe("MemoryError");
      expect(r.restarted).toBe(true);
      expect((await small.run("len(a) // 2**20")).output).toBe("150");
    } finally {
      await small.dispose();
    }
  }, 120_000);

  it("a crash of the interpreter (C stack overflow) gives a clear error and a fresh worker", async () => {
    await ex.reset();
    await ex.run("kept = 7");
    const r = await ex.run("v = []\nfor i in range(300000):\n    v = [v]\nstr(v)");
    expect(r.error?.type).toBe("InterpreterCrash");
    expect(r.error?.message).toMatch(
      /^Code execution failed due to: InterpreterCrash: the Python interpreter failed/,
    );
    expect(r.restarted).toBe(true);
    expect((await ex.run("kept * 6")).output).toBe("42");
  }, 120_000);
});
