/**
 * `--model ID`, `--model-url` and `pocket-agent models list|pull|rm`, run by the real CLI. Downloads come
 * from a local HTTP server standing in for the model hub (`HF_ENDPOINT`, as Hugging Face's tools read
 * it): it serves the project's real micro-student GGUF under a catalog path, so a pulled model really
 * runs. Nothing here reaches the network.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findCatalogModel } from "../../src/llm/catalog.ts";
import { ROOT, runCli } from "../support/cli.ts";
import { type FileServer, startFileServer } from "../support/file-server.ts";

const MICRO = join(ROOT, "models", "micro", "micro-arith.gguf");
const PACK = join(ROOT, "models", "micro", "pack.yaml");
const QWEN = findCatalogModel("qwen2.5-0.5b-instruct")!;
const QWEN_PATH = new URL(QWEN.url!).pathname;

let cache: string;
let server: FileServer;
let env: NodeJS.ProcessEnv;
let micro: Uint8Array;

beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), "pa-models-"));
  micro = new Uint8Array(await readFile(MICRO));
  server = await startFileServer({
    [QWEN_PATH]: { body: micro, etag: '"m1"' },
    "/any/micro-copy.gguf": { body: micro },
  });
  env = { POCKET_AGENT_CACHE: cache, HF_ENDPOINT: server.url };
});
afterAll(async () => {
  await server.close();
  await rm(cache, { recursive: true, force: true });
});

describe("--model", () => {
  it("micro: the bundled micro-student answers with its own pack, no server, no download", async () => {
    const result = await runCli(["ask", "What is 17*23+1?", "--model", "micro", "--threads", "1", "--json"], {
      env,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).answer).toBe(392);
    expect(JSON.parse(result.stdout).engine).toMatchObject({ kind: "llamacpp", isReplay: false });
    expect(server.requests).toHaveLength(0);
  });

  it("names the catalog when the id is unknown, and exits non-zero", async () => {
    const result = await runCli(["ask", "What is 1+1?", "--model", "no-such-model"], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /unknown model "no-such-model": the catalog has micro, qwen2\.5-0\.5b-instruct/,
    );
  });

  it("refuses two ways of naming the model at once", async () => {
    const result = await runCli(["ask", "What is 1+1?", "--model", "micro", "--model-file", MICRO], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--model-file and --model each name a model/);
  });
});

describe("pocket-agent models", () => {
  it("pull resumes an interrupted download, list shows it, ask runs it, rm deletes it", async () => {
    server.options.cutAfterBytes = 700_000;
    server.options.cutTimes = 1;
    const broken = await runCli(["models", "pull", QWEN.id], { env });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/connection (broke|ended).*run the same command again to resume/);

    const pulled = await runCli(["models", "pull", QWEN.id], { env });
    expect(pulled.code, pulled.stderr).toBe(0);
    const path = pulled.stdout.trim();
    expect(path).toBe(join(cache, "models", QWEN.fileName));
    expect(server.requests.at(-1)?.headers.range).toMatch(/^bytes=\d+-$/);
    expect(pulled.stderr).toMatch(/resumed at/);
    const record = JSON.parse(await readFile(`${path}.json`, "utf8"));
    expect(record).toMatchObject({ id: QWEN.id, bytes: micro.byteLength });
    expect(record.sha256).toBe(createHash("sha256").update(micro).digest("hex"));

    const list = await runCli(["models", "list"], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^micro\s+2\.0 MiB\s+bundled/m);
    expect(list.stdout).toMatch(/^qwen2\.5-0\.5b-instruct\s+\S+ MiB\s+cached/m);
    expect(list.stdout).toMatch(/^qwen2\.5-1\.5b-instruct\s+\S+ GiB\s+-/m);

    // The stand-in file is the micro-student, so with its pack the "downloaded" model really answers.
    const requestsBefore = server.requests.length;
    const ask = await runCli(
      ["ask", "What is 17*23+1?", "--model", QWEN.id, "--prompt-pack", PACK, "--threads", "1", "--json"],
      { env },
    );
    expect(ask.code, ask.stderr).toBe(0);
    expect(JSON.parse(ask.stdout).answer).toBe(392);
    expect(server.requests.length).toBe(requestsBefore); // cached: no second download

    const removed = await runCli(["models", "rm", QWEN.id], { env });
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.json`)).toBe(false);
    const again = await runCli(["models", "rm", QWEN.id], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no downloaded model named "qwen2\.5-0\.5b-instruct"/);
  });

  it("rm refuses the bundled model, pull of an unknown name fails clearly", async () => {
    const rmMicro = await runCli(["models", "rm", "micro"], { env });
    expect(rmMicro.code).toBe(1);
    expect(rmMicro.stderr).toMatch(/micro is bundled/);
    const pull = await runCli(["models", "pull", "nonsense"], { env });
    expect(pull.code).toBe(1);
    expect(pull.stderr).toMatch(/unknown model "nonsense"/);
  });

  it("a failed download (HTTP 404) exits non-zero and leaves nothing in the cache", async () => {
    const result = await runCli(["ask", "What is 1+1?", "--model-url", `${server.url}/missing.gguf`], {
      env,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/missing\.gguf: HTTP 404/);
    const list = await runCli(["models", "list"], { env });
    expect(list.stdout).not.toMatch(/missing/);
  });
});

describe("--model-url", () => {
  it("downloads a GGUF once into the cache and runs it", async () => {
    const url = `${server.url}/any/micro-copy.gguf`;
    const args = [
      "ask",
      "What is 12*12-4?",
      "--model-url",
      url,
      "--prompt-pack",
      PACK,
      "--threads",
      "1",
      "--json",
    ];
    const first = await runCli(args, { env });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).answer).toBe(140);
    const downloads = server.requests.filter((r) => r.path === "/any/micro-copy.gguf").length;
    expect(downloads).toBe(1);
    const list = await runCli(["models", "list"], { env });
    expect(list.stdout).toContain(url);
  });
});
