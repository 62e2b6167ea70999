/**
 * The escape battery against the Node executor: every attempt is refused with a clear error and a loopback
 * canary server sees no request. A positive control proves the canary does count hits.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeExecutor, type Executor, REFERENCE_AUTHORIZED_IMPORTS } from "../../src/exec/index.ts";
import { spawnNodeWorker } from "../../src/exec/node/node-executor.ts";
import { resolveRuntimeConfig } from "../../src/exec/worker-executor.ts";
import { ESCAPE_ATTEMPTS } from "../e2e/harness/escape-battery.ts";

let ex: Executor;
let permissive: Executor;
let server: Server;
let hits = 0;
let url = "";

beforeAll(async () => {
  server = createServer((_req, res) => {
    hits += 1;
    res.end("canary");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/canary`;
  [ex, permissive] = await Promise.all([
    createNodeExecutor({}),
    createNodeExecutor({ authorizedImports: ["*"] }),
  ]);
});

afterAll(async () => {
  await Promise.all([ex?.dispose(), permissive?.dispose()]);
  await new Promise((resolve) => server.close(resolve));
});

describe("canary", () => {
  it("counts a real request (positive control)", async () => {
    const before = hits;
    await fetch(url);
    expect(hits).toBe(before + 1);
    hits = before;
  });
});

describe("escape battery (reference allowlist)", () => {
  it.each(ESCAPE_ATTEMPTS)("$name is refused and nothing leaves", async (attempt) => {
    const r = await ex.run(attempt.code(url));
    expect(r.error, `no error for ${attempt.name}: output ${r.output}`).toBeDefined();
    expect(r.error?.message).toMatch(attempt.refusal);
    expect(hits).toBe(0);
  });

  it("names the authorized imports in an import refusal", async () => {
    const r = await ex.run("import os");
    expect(r.error?.type).toBe("InterpreterError");
    expect(r.error?.message).toBe(
      `Code execution failed at line 'import os' due to: InterpreterError: Import of os is not allowed. Authorized imports are: ['${REFERENCE_AUTHORIZED_IMPORTS.join("', '")}']`,
    );
  });

  it("still runs ordinary code after the battery", async () => {
    const r = await ex.run(
      "import math, re, collections, random, statistics, itertools, datetime, time, unicodedata, queue, stat\n" +
        "class P:\n    def __init__(self, v):\n        self._v = v\n    def __repr__(self):\n        return f'P({self._v})'\n" +
        "print(P(3), math.gcd(12, 18), re.findall('a', 'banana'), collections.Counter('aab').most_common(1))",
    );
    expect(r.error).toBeUndefined();
    expect(r.logs).toBe("P(3) 6 ['a', 'a', 'a'] [('a', 2)]\n");
  });
});

describe("escape battery with every import authorized ('*')", () => {
  it.each(ESCAPE_ATTEMPTS.filter((a) => a.refusal.source.startsWith("Import of")))(
    "$name is still refused",
    async (attempt) => {
      const r = await permissive.run(attempt.code(url));
      expect(r.error?.message).toMatch(attempt.refusal);
      expect(hits).toBe(0);
    },
  );
});

describe("worker globals after set-up", () => {
  it("has no network primitives and no process backdoors", async () => {
    const conn = await spawnNodeWorker(resolveRuntimeConfig({}));
    try {
      const seen = await conn.api.probeGlobals([
        "fetch",
        "XMLHttpRequest",
        "WebSocket",
        "EventSource",
        "importScripts",
        "require",
      ]);
      expect(seen).toEqual({
        fetch: "undefined",
        XMLHttpRequest: "undefined",
        WebSocket: "undefined",
        EventSource: "undefined",
        importScripts: "undefined",
        require: "undefined",
      });
      const r = await conn.api.run("1 + 1", 5000);
      expect(r.output).toBe("2");
    } finally {
      conn.terminate();
    }
  });
});
