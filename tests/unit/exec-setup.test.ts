/**
 * Worker set-up fails closed and says what is broken: the browser worker's check that the network
 * primitives it removes are really gone (the Node thread's is verifyLockdown, tests/integration/
 * exec-boundary.test.ts), and a package folder that is broken told apart from one that was never built.
 */
import { describe, expect, it } from "vitest";
import { inspectPackagesURL, packageLoader } from "../../src/exec/browser/package-loader.ts";
import { BrokenPackagesError, inspectPackageFolder } from "../../src/exec/packages.ts";
import { lockNetworkPrimitives } from "../../src/exec/runtime.ts";

describe("lockNetworkPrimitives (the browser worker's check after removing the network primitives)", () => {
  it("removes them and passes when they are gone", () => {
    const scope: Record<string, unknown> = { fetch: () => 1, WebSocket: class {}, navigator: {}, setTimeout };
    lockNetworkPrimitives(scope);
    expect([scope.fetch, scope.WebSocket, scope.navigator]).toEqual([undefined, undefined, undefined]);
    expect(scope.setTimeout).toBe(setTimeout);
  });

  it("fails, naming each primitive still reachable, when one cannot be removed", () => {
    const scope: Record<string, unknown> = { WebSocket: class {} };
    // A global the browser does not let go of (non-writable, non-configurable) stays usable.
    Object.defineProperty(scope, "fetch", { value: () => 1, writable: false, configurable: false });
    expect(() => lockNetworkPrimitives(scope)).toThrow("the Python sandbox could not remove: fetch");
  });

  it("fails closed on a primitive whose getter throws (it may not throw later)", () => {
    const scope: Record<string, unknown> = {};
    Object.defineProperty(scope, "navigator", {
      get() {
        throw new Error("not now");
      },
      configurable: false,
    });
    expect(() => lockNetworkPrimitives(scope)).toThrow("the Python sandbox could not remove: navigator");
  });

  it("fails when the scope refuses both redefinition and deletion", () => {
    const target: Record<string, unknown> = { fetch: () => 1, EventSource: class {} };
    const scope = new Proxy(target, { defineProperty: () => false, deleteProperty: () => false });
    expect(() => lockNetworkPrimitives(scope)).toThrow(/could not remove: fetch, EventSource/);
  });
});

const MANIFEST = JSON.stringify({
  packages: {
    mpmath: { file: "mpmath.zip", version: "1", requires: [] },
    sympy: { file: "sympy.zip", version: "1", requires: ["mpmath"] },
  },
});

describe("inspectPackageFolder", () => {
  const files = (map: Record<string, string>) => async (file: string) => map[file] ?? null;

  it("no manifest: not built", async () => {
    expect(await inspectPackageFolder(files({}))).toEqual({ state: "not-built" });
  });

  it("a manifest that does not parse, or has the wrong shape: broken, saying so", async () => {
    const garbled = await inspectPackageFolder(files({ "manifest.json": '{"packages": {' }));
    expect(garbled).toMatchObject({
      state: "broken",
      reason: expect.stringMatching(/^manifest.json does not parse/),
    });
    const shape = await inspectPackageFolder(files({ "manifest.json": '{"packages": {"sympy": {}}}' }));
    expect(shape).toMatchObject({ state: "broken", reason: expect.stringContaining('sympy needs "file"') });
  });

  it("a manifest that cannot be read for another reason than absence: broken", async () => {
    const denied = await inspectPackageFolder(async () => {
      throw new Error("EACCES: permission denied");
    });
    expect(denied).toEqual({
      state: "broken",
      reason: "manifest.json cannot be read (EACCES: permission denied)",
    });
  });

  it("a manifest listing a missing zip: broken, naming it", async () => {
    const folder = await inspectPackageFolder(
      files({ "manifest.json": MANIFEST }),
      async (f) => f !== "sympy.zip",
    );
    expect(folder).toEqual({
      state: "broken",
      reason: "manifest.json lists sympy.zip, missing from the folder",
    });
  });

  it("a complete folder: ready", async () => {
    const folder = await inspectPackageFolder(files({ "manifest.json": MANIFEST }), async () => true);
    expect(folder.state).toBe("ready");
  });

  it("the error says broken and how to fix it", () => {
    expect(new BrokenPackagesError("manifest.json does not parse (x)").message).toBe(
      "the package folder is broken: manifest.json does not parse (x); rebuild it with npm run py-packages",
    );
  });
});

describe("the browser page's package folder", () => {
  const BASE = "https://app.test/py-packages/";
  /** A fetch over a map of URL -> [status, body, content type]. */
  const server =
    (routes: Record<string, [number, string, string?]>): typeof fetch =>
    async (input) => {
      const url = String(input instanceof Request ? input.url : input);
      const [status, body, type] = routes[url] ?? [404, "not found"];
      return new Response(body, { status, headers: { "Content-Type": type ?? "application/octet-stream" } });
    };

  it("404, or the server's HTML fallback page where the manifest should be: not built", async () => {
    expect(await inspectPackagesURL(BASE, server({}))).toEqual({ state: "not-built" });
    const spa = server({
      [`${BASE}manifest.json`]: [200, "<!doctype html><html>", "text/html; charset=utf-8"],
    });
    expect(await inspectPackagesURL(BASE, spa)).toEqual({ state: "not-built" });
  });

  it("a manifest that does not parse, or a server error: broken", async () => {
    const garbled = server({ [`${BASE}manifest.json`]: [200, "{", "application/json"] });
    expect(await inspectPackagesURL(BASE, garbled)).toMatchObject({ state: "broken" });
    const failing = server({ [`${BASE}manifest.json`]: [500, "oops"] });
    expect(await inspectPackagesURL(BASE, failing)).toEqual({
      state: "broken",
      reason: "manifest.json cannot be read (HTTP 500)",
    });
  });

  it("the loader: null when not built, BrokenPackagesError when broken or a listed zip is missing", async () => {
    const pyodideURL = "https://app.test/pyodide/";
    expect(await packageLoader(pyodideURL, BASE, undefined, server({}))("sympy")).toBeNull();
    const garbled = server({ [`${BASE}manifest.json`]: [200, "{", "application/json"] });
    await expect(packageLoader(pyodideURL, BASE, undefined, garbled)("sympy")).rejects.toThrow(
      /the package folder is broken: manifest.json does not parse/,
    );
    const noZip = server({
      [`${BASE}manifest.json`]: [200, MANIFEST, "application/json"],
      [`${BASE}mpmath.zip`]: [200, "PK"],
    });
    const load = packageLoader(pyodideURL, BASE, undefined, noZip);
    await expect(load("sympy")).rejects.toThrow(
      /manifest.json lists sympy.zip, which cannot be fetched \(HTTP 404\)/,
    );
    expect((await load("mpmath"))?.requires).toEqual([]);
    expect(await load("numpy")).toBeNull();
  });
});
