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
import { checkRawResult, resolveRuntimeConfig } from "../../src/exec/worker-executor.ts";

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
    "import() inside eval": "return await eval(\"import('node:net')\");",
    "import() inside indirect eval": "return await (0, eval)(\"import('node:worker_threads')\");",
    "Emscripten's SOCKFS (a WebSocket through its own require('ws'))":
      "const S = pyodide._module.SOCKFS; const sock = S.createSocket(2, 1, 0); S.websocket_sock_ops.connect(sock, '127.0.0.1', PORT); await new Promise((r) => setTimeout(r, 300)); return 'connect returned';",
    "a BroadcastChannel to another thread (none listens)":
      "const bc = new BroadcastChannel('pocket-agent'); bc.postMessage('hi'); const got = await new Promise((ok) => { bc.onmessage = () => ok('answered'); setTimeout(() => ok(null), 200); }); bc.close(); if (!got) throw new Error('no listener'); return got;",
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

describe("host files: path tricks", () => {
  const routes: Record<string, string> = {
    "'..' out of an allowed folder when mounting":
      "pyodide.mountNodeFS('/up', PYODIDE_DIR + '/../..'); return pyodide.FS.readdir('/up');",
    "'..' inside a mount of an allowed folder":
      "pyodide.mountNodeFS('/in', PYODIDE_DIR); return pyodide.FS.readFile('/in/../../../package.json', { encoding: 'utf8' });",
    "a symlink planted in an allowed folder":
      "pyodide.mountNodeFS('/ln', PYODIDE_DIR); pyodide.FS.symlink('/etc/passwd', '/ln/link'); return 'linked';",
    "a mount whose root is re-pointed at /etc after mounting":
      "pyodide.mountNodeFS('/rp', PYODIDE_DIR); pyodide.FS.lookupPath('/rp').node.mount.opts.root = '/etc'; return pyodide.FS.readFile('/rp/passwd', { encoding: 'utf8' });",
    "the host's environment and memory in /proc (re-pointed mount)":
      "pyodide.mountNodeFS('/hp', PYODIDE_DIR); pyodide.FS.lookupPath('/hp').node.mount.opts.root = '/proc/' + process.ppid; return pyodide.FS.readFile('/hp/environ', { encoding: 'utf8' });",
    "/proc/<host>/mem":
      "pyodide.mountNodeFS('/pm', '/proc/' + process.ppid); return pyodide.FS.readdir('/pm');",
    "/proc/self/fd": "pyodide.mountNodeFS('/pfd', '/proc/self/fd'); return pyodide.FS.readdir('/pfd');",
    "/dev/fd": "pyodide.mountNodeFS('/dfd', '/dev/fd'); return pyodide.FS.readdir('/dfd');",
  };
  it.each(Object.entries(routes))("%s is refused", async (_name, body) => {
    const pyodideDir = await escaped<string>(
      "return process.execArgv.find((a) => a.includes('pyodide')).split('=')[1]",
    );
    const source = body.replaceAll("PYODIDE_DIR", JSON.stringify(pyodideDir));
    expect(await escaped<string>(attempt(source))).toMatch(/^refused: /);
  });
});

describe("file descriptors (the permission model does not check them)", () => {
  // Pyodide's NODEFS calls node:fs with a stream's `nfd`, and escaped code can forge the stream. The
  // inherited descriptors are the host's IPC channel (3: raw bytes there reached the host's deserializer,
  // whose assertion on a malformed frame was an uncaught exception in the host) and stderr (2).
  const frame = `const payload = [0xff, 0x0f, 0x6f, 0x22, 0x01, 0x61, 0x49, 0x02, 0x7b, 0x01];
    const frame = new Uint8Array(4 + payload.length);
    new DataView(frame.buffer).setUint32(0, payload.length);
    frame.set(payload, 4);`;
  const routes: Record<string, string> = {
    "a NODEFS write to fd 3 (the host's IPC channel)": `${frame}
      return pyodide.FS.filesystems.NODEFS.stream_ops.write({ nfd: 3 }, frame, 0, frame.length, null);`,
    "a real NODEFS stream re-pointed at fd 0":
      "pyodide.mountNodeFS('/fd0', PYODIDE_DIR); const s = pyodide.FS.open('/fd0/package.json', 'r'); s.nfd = 0; return pyodide.FS.read(s, new Uint8Array(4), 0, 4);",
    "a NODEFS write to fd 2 (stderr, past the relay)":
      "return pyodide.FS.filesystems.NODEFS.stream_ops.write({ nfd: 2 }, new Uint8Array([120, 10]), 0, 2, null);",
    // fd 3 is non-blocking (a read there fails with EAGAIN unless a request is waiting), so fd 0 stands in.
    "a NODEFS read of an inherited descriptor (fd 0)":
      "return pyodide.FS.filesystems.NODEFS.stream_ops.read({ nfd: 0 }, new Uint8Array(4), 0, 4, null);",
    "fstat of an inherited descriptor (NODEFS getattr)":
      "return pyodide.FS.filesystems.NODEFS.stream_ops.getattr({ nfd: 3, node: {} });",
    "Set.prototype.has replaced to call every descriptor the thread's own":
      "const has = Set.prototype.has; Set.prototype.has = () => true; try { return pyodide.FS.filesystems.NODEFS.stream_ops.write({ nfd: 2 }, new Uint8Array([120, 10]), 0, 2, null); } finally { Set.prototype.has = has; }",
    "Function.prototype.apply/call replaced to catch the unwrapped fs functions": `
      const { apply, call } = Function.prototype; const caught = [];
      Function.prototype.apply = function (self, args) { if (/Sync$/.test(this.name)) caught.push(this); return Reflect.apply(this, self, args); };
      Function.prototype.call = function (self, ...args) { if (/Sync$/.test(this.name)) caught.push(this); return Reflect.apply(this, self, args); };
      try {
        pyodide.mountNodeFS('/hj', PYODIDE_DIR);
        const s = pyodide.FS.open('/hj/package.json', 'r');
        pyodide.FS.read(s, new Uint8Array(4), 0, 4);
        try { pyodide.FS.filesystems.NODEFS.stream_ops.write(s, new Uint8Array([120]), 0, 1, null); } catch {}
        pyodide.FS.close(s);
      } finally { Function.prototype.apply = apply; Function.prototype.call = call; }
      const raw = caught.find((f) => f.name === "writeSync") ?? caught.find((f) => f.name === "readSync");
      if (!raw) throw new Error("nothing caught");
      return raw(raw.name === "writeSync" ? 2 : 0, new Uint8Array(2), 0, 2, null);`,
    "fchmod of an inherited descriptor (NODEFS setattr)":
      "pyodide.FS.filesystems.NODEFS.stream_ops.setattr({ nfd: 2, node: {} }, { mode: 0o777 }); return 'chmod';",
  };
  it.each(Object.entries(routes))("%s is refused", async (_name, body) => {
    const pyodideDir = await escaped<string>(
      "return process.execArgv.find((a) => a.includes('pyodide')).split('=')[1]",
    );
    const source = body.replaceAll("PYODIDE_DIR", JSON.stringify(pyodideDir));
    expect(await escaped<string>(attempt(source))).toMatch(/^refused: /);
    expect(await escaped<number>("return 2 + 2")).toBe(4);
  });

  it("descriptors the thread opens itself still work (NODEFS reads an allowed file)", async () => {
    const pyodideDir = await escaped<string>(
      "return process.execArgv.find((a) => a.includes('pyodide')).split('=')[1]",
    );
    const text = await escaped<string>(
      `pyodide.mountNodeFS('/own', ${JSON.stringify(pyodideDir)}); return pyodide.FS.readFile('/own/package.json', { encoding: 'utf8' });`,
    );
    expect(text).toContain('"name": "pyodide"');
  });
});

describe("the relay", () => {
  /** Captures the thread's port to the relay (as escaped code can, through MessagePort.prototype). */
  const capture = `
    const original = MessagePort.prototype.postMessage;
    MessagePort.prototype.postMessage = function (...args) {
      globalThis.relayPort = this;
      MessagePort.prototype.postMessage = original;
      return original.apply(this, args);
    };
    return true;`;

  it("messages dressed as Node's own IPC messages (NODE_HANDLE...) do not reach the host's internals", async () => {
    // Passed on bare, a NODE_HANDLE_ACK threw an uncaught assertion in the host, and a NODE_HANDLE ended
    // the sandbox; the relay now puts every message in an envelope of its own.
    await escaped<boolean>(capture);
    const outcome = await escaped<string>(`
      if (!globalThis.relayPort) throw new Error("no port captured");
      for (const cmd of ["NODE_HANDLE_ACK", "NODE_HANDLE_NACK", "NODE_HANDLE", "NODE_CLUSTER"]) {
        globalThis.relayPort.postMessage({ cmd, type: "net.Server", msg: {}, act: "online" });
      }
      await new Promise((ok) => setTimeout(ok, 300));
      return "posted";`);
    expect(outcome).toBe("posted");
    await new Promise((ok) => setTimeout(ok, 300));
    expect(await escaped<number>("return 2 + 2")).toBe(4);
  });

  it("a deeply nested message is refused in the thread itself", async () => {
    await escaped<boolean>(capture);
    const outcome = await escaped<string>(
      attempt(
        "let v = 1; for (let i = 0; i < 200000; i++) v = [v]; globalThis.relayPort.postMessage({ v }); return 'posted';",
      ),
    );
    expect(outcome).toMatch(/^refused: /);
    expect(await escaped<number>("return 2 + 2")).toBe(4);
  });

  it("a message nested deeper than the host's deserializer can take ends the sandbox instead", async () => {
    // ~1,900 levels passed this thread's and the relay's serializers, then overflowed the host's stack in
    // Node's IPC deserializer (an uncaught RangeError); a chain hidden behind shallow references too.
    for (const build of [
      "let v = 1; for (let i = 0; i < 1900; i++) v = [v];",
      "const v = []; let prev = v; const chain = []; for (let i = 0; i < 1900; i++) { const n = []; prev.push(n); chain.push(n); prev = n; } v.push(...chain.reverse());",
    ]) {
      const victim = await spawnNodeWorker(resolveRuntimeConfig({}), { testHooks: true });
      await victim.api.runJavaScriptForTest(capture);
      void victim.api
        .runJavaScriptForTest(`${build} globalThis.relayPort.postMessage({ v }); return 1;`)
        .catch(() => undefined);
      expect(await victim.died).toMatch(/exit code 6: python sandbox: a reply nested over \d+ levels/);
    }
  });

  it("a forged result whose finalAnswer is not plain JSON is a crash, not an answer", () => {
    const forged = { logs: "", output: "x", isFinalAnswer: true };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const finalAnswer of [10n, new Map([[1, 2]]), cyclic, Number.NaN, new Date(0)]) {
      expect(checkRawResult({ ...forged, finalAnswer }).error?.type, String(finalAnswer)).toBe(
        "InterpreterCrash",
      );
    }
    expect(checkRawResult({ ...forged, finalAnswer: { a: [1, "b", null, true] } }).error).toBeUndefined();
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
    "Python's subprocess (run by Pyodide itself, no prelude)":
      "return pyodide.runPython(\"import subprocess\\nsubprocess.run(['id'])\");",
    "Python's os.system / Emscripten's system()":
      "const r = pyodide.runPython(\"import os\\nos.system('id')\"); if (r !== 0) throw new Error('exit ' + r); return r;",
    "process.abort": "return process.abort();",
    "process.setuid / process.chdir":
      "if (typeof process.setuid !== 'function' && typeof process.chdir !== 'function') throw new Error('absent'); return 'present';",
    "a permission the process was not given":
      "const p = process.permission; const given = ['fs.write', 'child'].filter((s) => p.has(s)).concat(p.has('fs.read', '/etc/passwd') ? ['fs.read /etc'] : []); if (!given.length) throw new Error('none'); return given.join();",
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
  // The walk an escaped action could make. Exotic objects (Pyodide's proxies) may throw on any
  // operation, instanceof and Array.isArray included; such an object is skipped, as an attacker would.
  const WALK = `
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
        let keys;
        try {
          // The wasm heap and other large arrays hold numbers, not objects.
          if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer || obj instanceof SharedArrayBuffer) continue;
          if (Array.isArray(obj) && obj.length > 10000) continue;
          keys = Reflect.ownKeys(obj);
        } catch { continue; }
        if (keys.some((k) => marks.includes(k))) found.push(path);
        for (const key of keys) {
          let d;
          try { d = Object.getOwnPropertyDescriptor(obj, key); } catch { continue; }
          if (d && "value" in d) queue.push([d.value, path + "." + String(key)]);
        }
        try { queue.push([Object.getPrototypeOf(obj), path + ".<proto>"]); } catch {}
      }
      return { visited, found };`;

  it("no Node module is reachable by walking properties from the globals, process or Pyodide's API", async () => {
    // Closures are not walkable, so this covers what escaped code can name; the routes above cover the rest.
    const report = await escaped<{ visited: number; found: string[] }>(WALK);
    expect(report.visited).toBeGreaterThan(10_000);
    expect(report.found).toEqual([]);
  });

  it("nor in a sandbox that started the slow way and made the Pyodide snapshot", async () => {
    // The first sandbox of an install starts with Pyodide's _makeSnapshot and serves actions after it.
    const snapshots = mkdtempSync(join(tmpdir(), "pocket-agent-boundary-snapshots-"));
    const made = await spawnNodeWorker(resolveRuntimeConfig({}), { testHooks: true, snapshots });
    try {
      expect(made.started).toBe("made");
      const report = JSON.parse(await made.api.runJavaScriptForTest(WALK)) as {
        visited: number;
        found: string[];
      };
      expect(report.visited).toBeGreaterThan(10_000);
      expect(report.found).toEqual([]);
    } finally {
      made.terminate();
      rmSync(snapshots, { recursive: true, force: true });
    }
  });
});

describe("stack traces", () => {
  it("CallSite objects give no function or receiver of Pyodide's or Node's JavaScript frames", async () => {
    // Error.prepareStackTrace hands out getFunction/getThis only for sloppy-mode frames; Pyodide, the bundle
    // and Node's internals are strict (the wasm frames give numbers).
    const outcome = await escaped<string>(
      attempt(`
        const previous = Error.prepareStackTrace;
        const leaked = [];
        Error.prepareStackTrace = (_e, sites) => {
          for (const site of sites) {
            const fn = site.getFunction();
            const self = site.getThis();
            if (typeof fn === "function" && !String(site.getFileName()).startsWith("wasm")) leaked.push(site.getFunctionName());
            if (self && typeof self === "object" && self !== globalThis && !String(site.getFileName()).startsWith("wasm")) leaked.push("this of " + site.getFunctionName());
          }
          return "";
        };
        try { pyodide.FS.readFile("/nonexistent"); } catch (e) { e.stack; }
        try { pyodide.runPython("raise ValueError()"); } catch (e) { e.stack; }
        try { await import("node:net"); } catch (e) { e.stack; }
        Error.prepareStackTrace = previous;
        if (!leaked.length) throw new Error("nothing leaked");
        return leaked.join();`),
    );
    expect(outcome).toMatch(/^refused: /);
  });
});

describe("next sandbox", () => {
  it("changes to shared builtins stay in the sandbox that made them", async () => {
    const victim = await spawnNodeWorker(resolveRuntimeConfig({}), { testHooks: true });
    try {
      await victim.api.runJavaScriptForTest(
        "Object.prototype.pocketAgentPolluted = 1; Array.prototype.push = () => 0; globalThis.pocketAgentMark = 1; return 1",
      );
    } finally {
      victim.terminate();
    }
    const next = await spawnNodeWorker(resolveRuntimeConfig({}), { testHooks: true });
    try {
      const seen = JSON.parse(
        await next.api.runJavaScriptForTest(
          "return [({}).pocketAgentPolluted, typeof globalThis.pocketAgentMark, [].push(1)]",
        ),
      );
      expect(seen).toEqual([null, "undefined", 1]);
    } finally {
      next.terminate();
    }
    expect(({} as Record<string, unknown>).pocketAgentPolluted).toBeUndefined();
  });
});

describe("fail closed", () => {
  it("the lock-down check lists the routes that are open in an ordinary process", async () => {
    await expect(verifyLockdown()).rejects.toThrow(
      /could not close: .*process\.getBuiltinModule.*import\("node:net"\)/,
    );
  });
});
