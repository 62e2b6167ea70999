/**
 * The second boundary of the Node executor, tested as if the Python guards were gone: the test hook runs
 * arbitrary JavaScript inside the sandbox's Python thread after lock-down (what an escaped action would
 * run, with Pyodide's API in hand), and every route to the network, the host's files, other processes and
 * the user's environment must fail. A loopback canary counts connections; a positive control proves the
 * hook runs code and the canary counts.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeExecutor } from "../../src/exec/index.ts";
import { verifyLockdown } from "../../src/exec/node/lockdown.ts";
import { spawnNodeWorker } from "../../src/exec/node/node-executor.ts";
import { resolveRuntimeConfig } from "../../src/exec/worker-executor.ts";

type Sandbox = Awaited<ReturnType<typeof spawnNodeWorker>>;

let sandbox: Sandbox;
let canary: Server;
let hits = 0;
let port = 0;
let hostDir = "";
const SECRET = "sk-pocket-agent-canary-secret";

beforeAll(async () => {
  canary = createServer((_req, res) => {
    hits += 1;
    res.end("canary");
  });
  canary.on("connection", () => {
    hits += 1;
  });
  await new Promise<void>((resolve) => canary.listen(0, "127.0.0.1", resolve));
  port = (canary.address() as AddressInfo).port;
  hostDir = mkdtempSync(join(tmpdir(), "pocket-agent-boundary-"));
  process.env.POCKET_AGENT_API_KEY = SECRET;
  sandbox = await spawnNodeWorker(resolveRuntimeConfig({}), { testHooks: true });
});

afterAll(async () => {
  sandbox?.terminate();
  delete process.env.POCKET_AGENT_API_KEY;
  rmSync(hostDir, { recursive: true, force: true });
  await new Promise((resolve) => canary.close(resolve));
});

/** Runs JavaScript in the sandbox's Python thread; returns what it returned. */
async function escaped<T>(source: string): Promise<T> {
  return JSON.parse(await sandbox.api.runJavaScriptForTest(source)) as T;
}

/** Wraps an attempt: "refused: <why>" when it throws, else "OPEN: <what it got>". */
const attempt = (body: string) => `
  try {
    const got = await (async () => { ${body} })();
    return "OPEN: " + String(got);
  } catch (err) {
    return "refused: " + String(err && err.message ? err.message : err);
  }`;

describe("positive controls", () => {
  it("the hook runs JavaScript in the sandbox after set-up, with Pyodide in hand", async () => {
    expect(await escaped<number>("return 1 + 1")).toBe(2);
    expect(await escaped<string>("return pyodide.runPython('str(6 * 7)')")).toBe("42");
  });

  it("the canary counts a real connection", async () => {
    await fetch(`http://127.0.0.1:${port}/`);
    expect(hits).toBeGreaterThan(0);
    hits = 0;
  });
});

describe("network", () => {
  const connect = `(m) => new Promise((ok, no) => { const s = m.connect(${"PORT"}, "127.0.0.1"); s.on("connect", () => ok("connected")); s.on("error", no); })`;
  const routes: Record<string, string> = {
    "import('node:net')": "const net = await import('node:net'); return await (CONNECT)(net);",
    "import('net') (bare)": "const net = await import('net'); return await (CONNECT)(net);",
    "import('node:http')":
      "const http = await import('node:http'); return await new Promise((ok, no) => http.get('http://127.0.0.1:PORT/', ok).on('error', no));",
    "import('node:https')": "return await import('node:https');",
    "import('node:dgram')": "return await import('node:dgram');",
    "import('node:dns')": "return await import('node:dns');",
    "import('node:tls')": "return await import('node:tls');",
    "import('node:http2')": "return await import('node:http2');",
    "a data: URL module": "return await import('data:text/javascript,export default 1');",
    "process.getBuiltinModule": "const net = process.getBuiltinModule('net'); return await (CONNECT)(net);",
    "process.binding('tcp_wrap')": "return process.binding('tcp_wrap');",
    "process._linkedBinding": "return process._linkedBinding('tcp_wrap');",
    "global fetch": "return await fetch('http://127.0.0.1:PORT/');",
    "global WebSocket": "return new WebSocket('ws://127.0.0.1:PORT/');",
    "global require": "return require('net');",
    "module.createRequire":
      "const { createRequire } = await import('node:module'); return createRequire('/')('net');",
    "Function-built import()": "return await new Function(\"return import('node:net')\")();",
    "pyodide's pyfetch":
      "return await pyodide.runPythonAsync(\"from pyodide.http import pyfetch\\nawait pyfetch('http://127.0.0.1:PORT/')\");",
    "Python's js.fetch":
      "return await pyodide.runPythonAsync(\"import js\\nawait js.fetch('http://127.0.0.1:PORT/')\");",
    "Python's socket":
      "return pyodide.runPython(\"import socket\\nsocket.create_connection(('127.0.0.1', PORT))\");",
    "a worker thread":
      "const { Worker } = await import('node:worker_threads'); return new Worker('1', { eval: true });",
  };
  it.each(Object.entries(routes))("%s is refused and nothing connects", async (_name, body) => {
    const source = body.replaceAll("CONNECT", connect).replaceAll("PORT", String(port));
    const outcome = await escaped<string>(attempt(source));
    expect(outcome).toMatch(/^refused: /);
    expect(hits).toBe(0);
  });
});

describe("host files", () => {
  it("cannot mount, read or list host folders outside Pyodide's own", async () => {
    for (const hostPath of ["/etc", hostDir, process.cwd()]) {
      const outcome = await escaped<string>(
        attempt(
          `pyodide.mountNodeFS('/host', ${JSON.stringify(hostPath)}); return pyodide.FS.readdir('/host');`,
        ),
      );
      expect(outcome, hostPath).toMatch(/^refused: /);
    }
    const passwd = await escaped<string>(
      attempt(
        "pyodide.mountNodeFS('/etc-host', '/etc'); return pyodide.FS.readFile('/etc-host/passwd', { encoding: 'utf8' });",
      ),
    );
    expect(passwd).toMatch(/^refused: /);
  });

  it("cannot write anywhere on the host, even inside a folder it may read", async () => {
    const pyodideDir = await escaped<string>(
      "return process.execArgv.find((a) => a.includes('pyodide')).split('=')[1]",
    );
    const outcome = await escaped<string>(
      attempt(
        `pyodide.mountNodeFS('/ro', ${JSON.stringify(pyodideDir)}); pyodide.FS.writeFile('/ro/planted.txt', 'x'); return 'written';`,
      ),
    );
    expect(outcome).toMatch(/^refused: /);
    expect(readdirSync(pyodideDir)).not.toContain("planted.txt");
    expect(readdirSync(hostDir)).toEqual([]);
  });
});

describe("processes and environment", () => {
  const routes: Record<string, string> = {
    "import('node:child_process')":
      "const cp = await import('node:child_process'); return cp.execSync('id').toString();",
    "process.binding('spawn_sync')": "return process.binding('spawn_sync');",
    "process.dlopen": "return process.dlopen({ exports: {} }, '/nonexistent.node');",
    "process.kill of the host": "return process.kill(process.ppid, 0);",
    "process._debugProcess of the host": "return process._debugProcess(process.ppid);",
    "import('node:inspector')": "return (await import('node:inspector')).open(0);",
    "import('node:vm')": "return await import('node:vm');",
    "import('node:fs') for writes":
      "return (await import('node:fs')).writeFileSync('/tmp/pocket-agent-planted', 'x');",
    "process.report": "return process.report.writeReport();",
  };
  it.each(Object.entries(routes))("%s is refused", async (_name, body) => {
    expect(await escaped<string>(attempt(body))).toMatch(/^refused: /);
  });

  it("sees none of the host's environment (API keys stay out)", async () => {
    const env = await escaped<Record<string, string>>("return { ...process.env }");
    expect(JSON.stringify(env)).not.toContain(SECRET);
    expect(Object.keys(env)).toEqual([]);
  });
});

describe("containment", () => {
  it("a sandbox that kills itself takes nothing else with it", async () => {
    const victim = await spawnNodeWorker(resolveRuntimeConfig({}), { testHooks: true });
    // A worker thread may not abort the process; exiting the thread ends the sandbox process too.
    void victim.api.runJavaScriptForTest("process.reallyExit(7)").catch(() => undefined);
    const why = await victim.died;
    expect(why).toMatch(/exit code 7/);
    expect(await escaped<number>("return 2 + 2")).toBe(4);
  });

  it("a reply too large for the host ends the sandbox instead of reaching the host", async () => {
    const victim = await spawnNodeWorker(resolveRuntimeConfig({}), { testHooks: true });
    void victim.api.runJavaScriptForTest("return 'x'.repeat(100 * 1024 * 1024)").catch(() => undefined);
    expect(await victim.died).toMatch(
      /exit code 5: python sandbox: a reply of \d+ bytes is over the \d+-byte limit/,
    );
  });

  it("a final answer far over any limit does not take the host down", async () => {
    const ex = await createNodeExecutor({});
    try {
      const r = await ex.run("final_answer('x' * 6 * 10**8)");
      // Either the answer is cut in Python, or the sandbox dies of it and is replaced: the host lives on.
      if (!r.error) expect(String(r.finalAnswer).length).toBeLessThan(10_000_000);
      const next = await ex.run("print(6 * 7)");
      expect(next.logs).toBe("42\n");
    } finally {
      await ex.dispose();
    }
  });
});

describe("reachable objects", () => {
  it("no Node module is reachable by walking properties from the globals, process or Pyodide's API", async () => {
    // Closures are not walkable, so this covers what escaped code can name; the routes above cover the rest.
    const report = await escaped<{ visited: number; found: string[] }>(`
      const seen = new Set();
      const queue = [[globalThis, "globalThis"], [pyodide, "pyodide"], [process, "process"]];
      const found = [];
      let visited = 0;
      const marks = ["createConnection", "execSync", "writeFileSync", "createServer", "Socket", "createRequire"];
      while (queue.length && visited < 300000) {
        const [obj, path] = queue.shift();
        if (obj === null || (typeof obj !== "object" && typeof obj !== "function") || seen.has(obj)) continue;
        seen.add(obj);
        visited++;
        // The wasm heap and other large arrays hold numbers, not objects.
        if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer || obj instanceof SharedArrayBuffer) continue;
        if (Array.isArray(obj) && obj.length > 10000) continue;
        let keys;
        try { keys = Reflect.ownKeys(obj); } catch { continue; }
        if (keys.some((k) => marks.includes(k))) found.push(path);
        for (const key of keys) {
          let d;
          try { d = Object.getOwnPropertyDescriptor(obj, key); } catch { continue; }
          if (d && "value" in d) queue.push([d.value, path + "." + String(key)]);
        }
        try { queue.push([Object.getPrototypeOf(obj), path + ".<proto>"]); } catch {}
      }
      return { visited, found };`);
    expect(report.visited).toBeGreaterThan(10_000);
    expect(report.found).toEqual([]);
  });
});

describe("fail closed", () => {
  it("the lock-down check lists the routes that are open in an ordinary process", async () => {
    await expect(verifyLockdown()).rejects.toThrow(
      /could not close: .*process\.getBuiltinModule.*import\("node:net"\)/,
    );
  });
});
