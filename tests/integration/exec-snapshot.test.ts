/**
 * Pyodide memory snapshots in the Node sandbox (src/exec/node/pyodide-snapshot.ts): the first sandbox
 * makes one, later sandboxes start from it with the same Python, a damaged one is deleted and the sandbox
 * starts anyway. (`snapshots: false`, a plain start, is what `npm run bench -- exec` measures against.)
 */
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeExecutor } from "../../src/exec/index.ts";
import { type NodeSandbox, spawnNodeWorker } from "../../src/exec/node/node-executor.ts";
import { SNAPSHOTS_KEPT } from "../../src/exec/node/pyodide-snapshot.ts";
import { resolveRuntimeConfig } from "../../src/exec/worker-executor.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pocket-agent-snapshots-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function folder(name: string): string {
  return join(root, name);
}

async function startedWith(dir: string | false): Promise<NodeSandbox["started"]> {
  const sandbox = await spawnNodeWorker(resolveRuntimeConfig({}), { snapshots: dir });
  try {
    // Python works, whichever way it started, and the sandbox's prelude is there.
    const result = await sandbox.api.run("import math\nprint(math.isqrt(10))\nfinal_answer(6 * 7)", 10_000);
    expect(result.error).toBeUndefined();
    expect(result.logs).toBe("3\n");
    expect(result.isFinalAnswer).toBe(true);
    return sandbox.started;
  } finally {
    sandbox.terminate();
  }
}

describe("Pyodide memory snapshots", () => {
  const dir = () => folder("made");

  it("are made by the first sandbox and restored by the next; other installs' oldest are pruned", async () => {
    // Snapshots of other Pyodide installs, last used 1 to 4 days ago, and a file that is not one.
    await mkdir(dir(), { recursive: true });
    const others = ["a", "b", "c", "d"].map((c) => `pyodide-${c.repeat(16)}.snapshot`);
    for (const [i, name] of others.entries()) {
      await writeFile(join(dir(), name), "other install");
      const used = new Date(Date.now() - (i + 1) * 86_400_000);
      await utimes(join(dir(), name), used, used);
    }
    await writeFile(join(dir(), "notes.txt"), "kept");
    expect(await startedWith(dir())).toBe("made");
    const made = (await readdir(dir())).filter((f) => !others.includes(f) && f !== "notes.txt");
    expect(made).toEqual([expect.stringMatching(/^pyodide-[0-9a-f]{16}\.snapshot$/)]);
    // The new one and the most recently used others are kept, the rest deleted.
    expect((await readdir(dir())).sort()).toEqual(
      [...made, ...others.slice(0, SNAPSHOTS_KEPT - 1), "notes.txt"].sort(),
    );
    for (const name of [...others, "notes.txt"]) await rm(join(dir(), name), { force: true });
    expect(await startedWith(dir())).toBe("restored");
  });

  // Every other Node executor test runs on snapshots too (the default folder); this one checks a restart.
  it("restore the executor's worker after a restart, with the namespace back", async () => {
    const ex = await createNodeExecutor({ snapshots: dir(), timeoutMs: 1000 });
    try {
      expect((await ex.run("x = 20\nx + 1")).output).toBe("21");
      expect((await ex.run("import os")).error?.message).toContain("Import of os is not allowed");
      const runaway = await ex.run(
        "while True:\n    try:\n        while True: pass\n    except BaseException:\n        pass\n",
      );
      expect(runaway.restarted).toBe(true);
      expect((await ex.run("x * 2")).output).toBe("40");
    } finally {
      await ex.dispose();
    }
  });

  it("that do not restore are deleted, and the sandbox starts without them", async () => {
    const [file] = await readdir(dir());
    await writeFile(join(dir(), file!), "not a snapshot");
    expect(await startedWith(dir())).toBe("snapshot refused");
    expect(await readdir(dir())).toEqual([]);
  });
});
