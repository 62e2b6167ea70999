/**
 * `pocket-agent ask` end to end: the real CLI, a local OpenAI-compatible server playing a student's
 * recorded completions, real Pyodide running the code, and a real shard behind web_search.
 * The completions are written by hand in the student's format; no model produced them.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseTrajectory } from "../../src/agent/trajectory.ts";
import { runCli } from "../support/cli.ts";
import { startTestServer, type TestServer } from "../support/openai-test-server.ts";
import { SHARED } from "../support/shared.ts";

let dir: string;
let shard: string;
let server: TestServer | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocket-agent-ask-"));
  shard = join(dir, "shard");
  const built = await runCli([
    "shard",
    "build",
    "--out",
    shard,
    join(SHARED, "data/wiki/hotpotqa_rpt_dev.jsonl"),
  ]);
  expect(built.code, built.stderr).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const QUESTION =
  'The band who released the debut album "Tinted Windows" had their first performance in what city?';

// What a 1.5B student writes for this question, including `<end_code>` and a hallucinated observation
// that the server's stop sequences cut away.
const STUDENT = [
  'Thought: I need to find the band that released the debut album "Tinted Windows", then where it first performed.\nCode:\n```py\nresults = web_search(query="Tinted Windows debut album band")\nprint(results)\n```<end_code>\nObservation: The band is',
  'Thought: The band is Tinted Windows. Now I will search for the city of their first performance.\nCode:\n```py\nresults = web_search(query="Tinted Windows band first performance")\nprint(results)\n```<end_code>',
  'Thought: The first performance was at Cain\'s Ballroom in Tulsa, Oklahoma.\nCode:\n```py\nfinal_answer("Tulsa")\n```<end_code>',
];

describe("pocket-agent ask", () => {
  it("answers a multi-hop question with web_search over a local shard", async () => {
    server = await startTestServer({ completions: STUDENT });
    const result = await runCli([
      "ask",
      QUESTION,
      "--base-url",
      server.url,
      "--model",
      "test-student",
      "--shard",
      shard,
      "--json",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const trajectory = parseTrajectory(result.stdout);
    expect(trajectory.answer).toBe("Tulsa");
    expect(trajectory.status).toBe("answered");
    expect(trajectory.steps).toHaveLength(3);

    const requests = server.requests.map((r) => r.body);
    expect(requests).toHaveLength(3);
    for (const body of requests) {
      expect(body.stop).toEqual(["<end_code>", "Observation:", "Calling tools:"]);
      expect(body.model).toBe("test-student");
    }
    expect(requests[0]!.messages[0]!.content).toContain("- web_search: ");
    expect(requests[0]!.messages[1]).toEqual({ role: "user", content: `New task:\n${QUESTION}` });
    const second = requests[1]!.messages;
    expect(second[2]).toEqual({
      role: "assistant",
      content: `${STUDENT[0]!.split("<end_code>")[0]}<end_code>`,
    });
    const observation = second[3]!.content;
    expect(observation).toMatch(
      /^Call id: call_1\nObservation:\nExecution logs:\n\nRetrieved documents:\n\n===== Document 0, similarity: \d+\.\d\d =====\n"Tinted Windows/,
    );
    expect(observation.endsWith("Last output from code snippet:\nNone")).toBe(true);
    const third = requests[2]!.messages;
    expect(third[5]!.content).toContain("Cain's Ballroom in Tulsa, Oklahoma");
    expect(third[5]!.content.startsWith("Call id: call_2\n")).toBe(true);
  });

  it("prints a readable trace and survives what small models get wrong", async () => {
    server = await startTestServer({
      completions: [
        "Thought: I think the answer is probably 12 but I should compute it.", // prose, no code
        "Thought: compute.\nCode:\n```py\ntotal = sum(range(5))\nprint(total)\n", // unclosed fence
        "Thought: use the variable.\nCode:\n```py\nfinal_answer = total * 2\nfinal_answer(final_answer)\n```", // both a variable and a call
      ],
    });
    const result = await runCli([
      "ask",
      "What is twice the sum of 0..4?",
      "--base-url",
      server.url,
      "--model",
      "test-student",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("━━ Step 1 ━━");
    expect(result.stdout).toContain("  > Error:\n  > No Python code block was found");
    expect(result.stdout).toContain("(parser: unclosed code fence)");
    expect(result.stdout).toContain("  > Call id: call_2\n  > Observation:\n  > Execution logs:\n  > 10");
    expect(result.stdout).toMatch(/Answer: 20\n$/);
    // Without a shard, web_search is not offered to the model.
    expect(server.requests[0]!.body.messages[0]!.content).not.toContain("web_search");
  });

  it("asks the final-answer question when the step budget is spent", async () => {
    server = await startTestServer({
      completions: [
        "Thought: look.\nCode:\n```py\nprint(1)\n```",
        "Thought: again.\nCode:\n```py\nprint(2)\n```",
        "Paris",
      ],
    });
    const save = join(dir, "fallback.json");
    const result = await runCli([
      "ask",
      "Capital of France?",
      "--base-url",
      server.url,
      "--model",
      "test-student",
      "--max-steps",
      "2",
      "--save",
      save,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Step budget spent; answer from the final-answer call:\nParis");
    const last = server.requests[2]!.body;
    expect(last.stop).toBeUndefined();
    expect(last.messages[0]!.role).toBe("system");
    expect(last.messages.at(-1)!.content).toMatch(/Capital of France\?$/);
    const trajectory = parseTrajectory(await readFile(save, "utf8"));
    expect(trajectory).toMatchObject({ status: "fallback", answer: "Paris" });
  });

  it("replays a saved trajectory, saying it is a replay, and reproduces it", async () => {
    server = await startTestServer({ completions: STUDENT });
    const save = join(dir, "run.json");
    const first = await runCli([
      "ask",
      QUESTION,
      "--base-url",
      server.url,
      "--model",
      "test-student",
      "--shard",
      shard,
      "--save",
      save,
    ]);
    expect(first.code, first.stderr).toBe(0);
    const replay = await runCli(["ask", QUESTION, "--replay", save, "--shard", shard, "--json"]);
    expect(replay.code, replay.stderr).toBe(0);
    const original = parseTrajectory(await readFile(save, "utf8"));
    const again = parseTrajectory(replay.stdout);
    expect(again.engine).toMatchObject({ kind: "replay", isReplay: true });
    expect(again.messages).toEqual(original.messages);
    expect(again.steps.map((s) => s.observation)).toEqual(original.steps.map((s) => s.observation));
    expect(again.answer).toBe(original.answer);
    const trace = await runCli(["ask", QUESTION, "--replay", save, "--shard", shard]);
    expect(trace.stdout).toContain(
      "REPLAY: recorded completions are played back; no model is generating them.",
    );
  });

  it("fails with a one-line error and a non-zero exit code", async () => {
    const closed = await startTestServer({ completions: [] });
    await closed.close();
    const unreachable = await runCli(["ask", "q", "--base-url", closed.url, "--model", "m"]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim().split("\n")).toHaveLength(1);
    expect(unreachable.stderr).toMatch(/^pocket-agent: cannot reach .*ECONNREFUSED/);

    const missing = await runCli(["ask", "q", "--model-file", join(dir, "nope.gguf")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^pocket-agent: model file not found: .*nope\.gguf/);

    const badUrl = await runCli(["ask", "q", "--base-url", "127.0.0.1:8000/v1", "--model", "m"]);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toMatch(/"127\.0\.0\.1:8000\/v1" is not an http\(s\) URL/);

    const badPack = await runCli([
      "ask",
      "q",
      "--base-url",
      closed.url,
      "--model",
      "m",
      "--prompt-pack",
      join(dir, "nope.yaml"),
    ]);
    expect(badPack.stderr).toMatch(/cannot read prompt pack .*nope\.yaml: no such file/);
  });

  it("checks --shard before the first model call: a missing or truncated shard ends the run", async () => {
    server = await startTestServer({ completions: STUDENT });
    const base = ["ask", QUESTION, "--base-url", server.url, "--model", "test-student"];
    const missing = await runCli([...base, "--shard", join(dir, "no-shard")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toMatch(/^pocket-agent: --shard .*no-shard: no shard at/);

    const file = join(shard, "shard.pas");
    const bytes = await readFile(file);
    const truncated = join(dir, "truncated.pas");
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
    const cut = await runCli([...base, "--shard", truncated]);
    expect(cut.code).toBe(1);
    expect(cut.stderr.trim().split("\n")).toHaveLength(1);
    expect(cut.stderr).toMatch(/^pocket-agent: --shard .*truncated\.pas: /);

    // Damage in the middle (postings, checked lazily by queries) is found before the run too.
    const flipped = Buffer.from(bytes);
    for (let i = 0; i < 64; i++) flipped[Math.floor(flipped.length / 2) + i]! ^= 0xff;
    const corrupt = join(dir, "corrupt.pas");
    await writeFile(corrupt, flipped);
    const damaged = await runCli([...base, "--shard", corrupt]);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/^pocket-agent: --shard .*corrupt\.pas: corrupt shard: checksum mismatch/);
    expect(server.requests).toHaveLength(0);
  });
});
