/**
 * The library as an app gets it (issue 12, part 5): `npm pack` once, the tarball unpacked into a temporary
 * project, and the examples of docs/embedding.md, taken from the document itself, run there.
 *
 * The project's other dependencies are symlinked to this checkout's node_modules instead of installed from
 * the registry: fast, and it works offline. pocket-agent itself is the unpacked tarball, a real folder, so
 * every import of it goes through its package.json `exports` and its built files, never the sources.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../e2e/harness/browser.ts";
import { ROOT } from "../support/cli.ts";
import { startTestServer } from "../support/openai-test-server.ts";

const run = promisify(execFile);

let dir: string;
/** The consumer project: node_modules/pocket-agent is the unpacked tarball. */
let app: string;
let tarballBytes = 0;

/** The files of docs/embedding.md that follow an `<!-- example-file: NAME -->` line. */
async function docExamples(): Promise<Map<string, string>> {
  const doc = await readFile(join(ROOT, "docs", "embedding.md"), "utf8");
  const files = new Map<string, string>();
  for (const m of doc.matchAll(/<!-- example-file: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)) {
    files.set(m[1]!, `${m[2]!}\n`);
  }
  return files;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocket-agent-package-"));
  // prepack builds the library (npm run build:lib) first.
  const packed = await run("npm", ["pack", "--pack-destination", dir, "--silent"], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const tarball = join(dir, packed.stdout.trim().split("\n").at(-1)!);
  tarballBytes = (await stat(tarball)).size;

  app = join(dir, "app");
  const installed = join(app, "node_modules", "pocket-agent");
  await mkdir(installed, { recursive: true });
  await run("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"]);
  for (const name of await readdir(join(ROOT, "node_modules"))) {
    if (name.startsWith(".") || name === "pocket-agent") continue;
    await symlink(join(ROOT, "node_modules", name), join(app, "node_modules", name));
  }
  await writeFile(
    join(app, "package.json"),
    JSON.stringify({ name: "embedding-example", private: true, type: "module" }),
  );
  for (const [name, text] of await docExamples()) await writeFile(join(app, name), text);
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the packed library, installed into an empty project", () => {
  it("packs the built library, its sandbox entry and the bundled micro-student", async () => {
    const installed = join(app, "node_modules", "pocket-agent");
    for (const file of [
      "dist/lib/index.js",
      "dist/lib/index.d.ts",
      "dist/lib/node.js",
      "dist/lib/browser.js",
      "dist/lib/vite.js",
      "dist/lib/exec/node/sandbox-process.mjs",
      "models/micro/micro-arith.gguf",
    ]) {
      expect((await stat(join(installed, file))).isFile(), file).toBe(true);
    }
    // Seen in the report of a run: the tarball is mostly the offline sympy package.
    console.log(`pocket-agent tarball: ${(tarballBytes / 2 ** 20).toFixed(1)} MiB`);
  });

  it("installs the `pocket-agent` command, which runs the shipped sources through tsx", async () => {
    const bin = join(app, "node_modules", "pocket-agent", "bin", "pocket-agent.js");
    const { stdout } = await run(process.execPath, [bin, "--help"], { cwd: app });
    expect(stdout).toContain("Usage: pocket-agent");
  });

  it('runs the Node example of docs/embedding.md: llama.cpp and the micro-student answer "What is 17*23+1?" with 392', async () => {
    const micro = join(app, "node_modules", "pocket-agent", "models", "micro");
    const { stdout, stderr } = await run(
      process.execPath,
      ["ask.mjs", join(micro, "micro-arith.gguf"), join(micro, "pack.yaml"), "What is 17*23+1?"],
      { cwd: app, timeout: 120_000 },
    );
    expect(stdout.trim(), stderr).toBe("392");
    // The action really ran in the sandbox: the model's code is on stderr (the example's trace).
    expect(stderr).toContain("17*23+1");
  });

  it("answers in Node through an OpenAI-compatible server, with web_search over a shard opened by openShard", async () => {
    const input = join(dir, "passages.jsonl");
    await writeFile(
      input,
      [
        { title: "Zorblat", text: "The Zorblat is a small animal that lives in the Quuxian hills." },
        { title: "Quuxian hills", text: "The Quuxian hills are a range of low hills." },
      ]
        .map((p) => JSON.stringify(p))
        .join("\n"),
    );
    const shardDir = join(dir, "shard");
    // The installed command builds it, so writer and reader come from the same tarball.
    const bin = join(app, "node_modules", "pocket-agent", "bin", "pocket-agent.js");
    await run(process.execPath, [bin, "shard", "build", "--out", shardDir, input], { cwd: app });
    const server = await startTestServer({
      completions: [
        'Thought: look it up.\n```py\nprint(web_search(query="Zorblat"))\n```<end_code>',
        'Thought: found it.\n```py\nfinal_answer("the Quuxian hills")\n```<end_code>',
      ],
    });
    await writeFile(
      join(app, "server.mjs"),
      [
        'import { createAgent, OpenAIEngine } from "pocket-agent";',
        'import { createNodeExecutor, openShard } from "pocket-agent/node";',
        "const [baseUrl, shardDir] = process.argv.slice(2);",
        "const shard = await openShard(shardDir);",
        'const engine = new OpenAIEngine({ baseUrl, model: "test-student" });',
        "const agent = createAgent({ engine, executor: createNodeExecutor, shard });",
        'const t = await agent.ask("Where does the Zorblat live?");',
        "await agent.dispose();",
        "console.log(JSON.stringify({ passages: shard.info.passages, status: t.status, answer: t.answer }));",
        "",
      ].join("\n"),
    );
    try {
      const { stdout } = await run(process.execPath, ["server.mjs", server.url, shardDir], { cwd: app });
      expect(JSON.parse(stdout)).toEqual({ passages: 2, status: "answered", answer: "the Quuxian hills" });
      // The sandbox read the shard: the second request carries the passage web_search returned.
      const observation = server.requests[1]!.body.messages.at(-1)!.content;
      expect(observation).toContain("lives in the Quuxian hills");
      expect(server.requests[0]!.body.messages[0]!.content).toContain("web_search");
    } finally {
      await server.close();
    }
  });

  it("type-checks consumers against the emitted declarations", async () => {
    await writeFile(
      join(app, "core.ts"),
      [
        'import { createAgent, type Executor, OpenAIEngine, ReplayEngine, type Trajectory } from "pocket-agent";',
        "declare const executor: Executor;",
        'const engine = new OpenAIEngine({ baseUrl: "http://127.0.0.1:8000/v1", model: "m" });',
        "const agent = createAgent({ engine, executor, n: 3, maxSteps: 4 });",
        'const t: Trajectory = await agent.ask("q", { signal: new AbortController().signal, onEvent: (e) => e.type });',
        'export const status: "answered" | "fallback" | "failed" | "aborted" = t.status;',
        'export const replay = new ReplayEngine(["final_answer(1)"]);',
        // Proves the declarations are real types, not an unresolved `any`.
        "// @ts-expect-error maxSteps is a number",
        'createAgent({ engine, executor, maxSteps: "five" });',
        "",
      ].join("\n"),
    );
    // skipDefaultLibCheck: TypeScript's own lib files need no checking; every other declaration file does.
    const base = { target: "ES2022", strict: true, noEmit: true, skipDefaultLibCheck: true };
    const configs = {
      // The root entry with Node's types and no DOM, then with the DOM and no Node types: it needs neither.
      // No skipLibCheck: every declaration file it reaches is checked.
      "tsconfig.core-node.json": {
        compilerOptions: {
          ...base,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          lib: ["ES2022"],
          types: ["node"],
        },
        files: ["core.ts"],
      },
      "tsconfig.core-web.json": {
        compilerOptions: {
          ...base,
          module: "ESNext",
          moduleResolution: "Bundler",
          lib: ["ES2022", "DOM"],
          types: [],
        },
        files: ["core.ts"],
      },
      // The documented examples as written, with what an app has: the DOM, Node's types, skipLibCheck
      // (some dependencies' declarations do not check on their own).
      "tsconfig.examples.json": {
        compilerOptions: {
          ...base,
          module: "ESNext",
          moduleResolution: "Bundler",
          lib: ["ES2022", "DOM"],
          types: ["node"],
          allowJs: true,
          checkJs: true,
          skipLibCheck: true,
        },
        files: ["ask.mjs", "main.ts", "vite.config.ts"],
      },
    };
    const tsc = join(app, "node_modules", "typescript", "bin", "tsc");
    const results = await Promise.all(
      Object.entries(configs).map(async ([name, config]) => {
        await writeFile(join(app, name), JSON.stringify(config));
        return run(process.execPath, [tsc, "-p", name], { cwd: app }).then(
          () => "",
          (error: { stdout?: string }) => `${name}:\n${error.stdout ?? String(error)}`,
        );
      }),
    );
    expect(results.join("")).toBe("");
  });

  it("serves and builds the Vite page of docs/embedding.md, which answers in Chromium with Python in its sandbox", async () => {
    // The page's model is a scripted server here (the example proxies /v1 to llama-server on 8080).
    const step = "Thought: compute it.\n```py\nresult = 17*23+1\nfinal_answer(result)\n```<end_code>";
    const server = await startTestServer({ model: "local", completions: [step, step] });
    const config = join(app, "vite.config.ts");
    const text = await readFile(config, "utf8");
    expect(text).toContain("http://127.0.0.1:8080");
    await writeFile(config, text.replace("http://127.0.0.1:8080", new URL(server.url).origin));
    const vite = await import("vite");
    const browser = await launchChromium();
    const ask = async (site: { httpServer: { address(): AddressInfo | string | null } | null }) => {
      const address = site.httpServer?.address();
      if (!address || typeof address === "string") throw new Error("vite: no TCP address");
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      await page.goto(`http://127.0.0.1:${address.port}/`);
      // The plugin's headers: the page is isolated, so runaway code is interrupted in place.
      expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
      await page.click("button");
      const answered = () => document.querySelector("#out")?.textContent?.includes("Answer:");
      await page.waitForFunction(answered, null, { timeout: 120_000 });
      const out = await page.textContent("#out");
      expect(out, errors.join("\n")).toContain("Answer: 392 (answered)");
      expect(out).toContain("result = 17*23+1");
      await page.close();
    };
    try {
      // `vite`: the dev server.
      const dev = await vite.createServer({
        root: app,
        configFile: config,
        logLevel: "error",
        server: { host: "127.0.0.1", port: 0, strictPort: false, hmr: false },
      });
      await dev.listen();
      try {
        await ask(dev);
      } finally {
        await dev.close();
      }

      // `vite build` and `vite preview`. Vitest sets NODE_ENV=test, which would make a development bundle.
      const nodeEnv = process.env.NODE_ENV;
      process.env.NODE_ENV = "production";
      try {
        await vite.build({ root: app, configFile: config, mode: "production", logLevel: "error" });
      } finally {
        process.env.NODE_ENV = nodeEnv;
      }
      // The plugin self-hosted Pyodide and the offline packages.
      for (const file of ["pyodide/pyodide.asm.wasm", "py-packages/manifest.json"]) {
        expect((await stat(join(app, "dist", file))).isFile(), file).toBe(true);
      }
      const site = await vite.preview({
        root: app,
        configFile: config,
        logLevel: "error",
        preview: { host: "127.0.0.1", port: 0, strictPort: false, open: false },
      });
      try {
        await ask(site);
      } finally {
        await site.close();
      }
      expect(server.requests).toHaveLength(2);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
