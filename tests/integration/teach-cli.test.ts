/**
 * `pocket-agent teach` and `pocket-agent sft export` end to end: the real CLI, real Pyodide, the
 * reference's prompt pack and CoT prompt, and a local OpenAI-compatible server playing a teacher on
 * real teacher-training questions (math_1000). The completions are written by hand in the teacher's
 * format; no model produced them.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PACK } from "../../src/agent/packs/default-pack.ts";
import { loadPromptPack, renderSystemPrompt, taskFor } from "../../src/agent/prompt-pack.ts";
import { loadCotPrompt } from "../../src/distill/first-thought.ts";
import { parseRecords } from "../../src/eval/record.ts";
import { REFERENCE_AUTHORIZED_IMPORTS } from "../../src/ports/executor.ts";
import { runCli } from "../support/cli.ts";
import { startTestServer, type TestServer } from "../support/openai-test-server.ts";
import { SHARED, sharedText } from "../support/shared.ts";

const QUESTIONS = join(SHARED, "data/benchmarks/math_1000_20250414.json");
const PACK_FILE = join(SHARED, "reference/reference_pack.yaml");
const COT_FILE = join(SHARED, "reference/teacher_model.yaml");
const pack = loadPromptPack(sharedText("reference/reference_pack.yaml"), PACK_FILE, DEFAULT_PACK);
const noSearch = pack.tools.map((t) => t.name).filter((n) => n !== "web_search");

let dir: string;
let server: TestServer | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocket-agent-teach-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const COT_1 =
  "A number has three digits in base b when b^2 <= 62 < b^3.\n\nFor b = 3, 3^3 = 27 <= 62, too small; for b = 4, 16 <= 62 < 64.\n\n<answer> \\boxed{4} </answer>";
const PREFIX_1 = "Thought: A number has three digits in base b when b^2 <= 62 < b^3.\n\n";
const COT_2 =
  "We need the fraction between 5/9 and 4/7 with the smallest denominator.\n\n<answer> \\boxed{7} </answer>";
const PREFIX_2 = "Thought: We need the fraction between 5/9 and 4/7 with the smallest denominator.\n\n";

// In request order: CoT answer, then the agent's steps (step 1 continues the prefix).
const TEACHER = [
  COT_1,
  "I will test the bases in order.\nCode:\n```py\nfor b in range(2, 10):\n    if b**2 <= 62 < b**3:\n        print(b)\n        break\n```<end_code>",
  "Thought: The smallest such base is 4.\nCode:\n```py\nfinal_answer(4)\n```<end_code>",
  COT_2,
  "Let me think about the mediant.", // no code: a parse error, so the trajectory is dropped
  "Thought: The mediant 9/16 gives q - p = 7.\nCode:\n```py\nfinal_answer(16 - 9)\n```<end_code>",
];

// Each test runs the CLI (Pyodide start-up included) once or twice on a shared, busy machine.
describe("pocket-agent teach", { timeout: 300_000 }, () => {
  it("runs the teacher with first-thought prefixes, filters, and exports SFT data", async () => {
    const out = join(dir, "teach");
    server = await startTestServer({ completions: TEACHER, model: "test-teacher" });
    const result = await runCli([
      "teach",
      "--questions",
      QUESTIONS,
      "--offset",
      "1",
      "--limit",
      "2",
      "--ftp",
      "--cot-prompt",
      COT_FILE,
      "--prompt-pack",
      PACK_FILE,
      "--base-url",
      server.url,
      "--model",
      "test-teacher",
      "--out",
      out,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("math_1000_20250414: 2/2 correct; 1 trajectories kept for training");

    const requests = server.requests.map((r) => r.body as typeof r.body & Record<string, unknown>);
    expect(requests).toHaveLength(6);
    // The CoT call: the reference's reasoning prompt, then the question.
    const question1 = (
      JSON.parse(sharedText("data/benchmarks/math_1000_20250414.json")) as {
        examples: { question: string }[];
      }
    ).examples[1]!.question;
    expect(requests[0]!.messages).toEqual([
      { role: "system", content: loadCotPrompt(sharedText("reference/teacher_model.yaml"), "t") },
      { role: "user", content: question1 },
    ]);
    // Step 1: the teacher's full prompt, the task, and the prefix for the server to continue.
    const teacherPrompt = renderSystemPrompt(pack, {
      role: "teacher",
      authorizedImports: REFERENCE_AUTHORIZED_IMPORTS,
      toolNames: noSearch,
    });
    expect(pack.systemPromptShort).toBeDefined();
    expect(requests[1]!.messages).toEqual([
      { role: "system", content: teacherPrompt },
      { role: "user", content: `New task:\n${taskFor(pack, question1)}` },
      { role: "assistant", content: PREFIX_1 },
    ]);
    expect(requests[1]!["continue_final_message"]).toBe(true);
    expect(requests[1]!["add_generation_prompt"]).toBe(false);
    expect(requests[1]!.stop).toEqual(["<end_code>", "Observation:", "Calling tools:"]);
    // Step 2 sees the whole first step (prefix + continuation) and no prefix request fields.
    expect(requests[2]!.messages[2]!.content).toBe(`${PREFIX_1}${TEACHER[1]}`);
    expect(requests[2]!.messages[3]!.content).toMatch(/^Call id: call_1\nObservation:\nExecution logs:\n4\n/);
    expect(requests[2]!["continue_final_message"]).toBeUndefined();
    expect(requests[4]!.messages.at(-1)).toEqual({ role: "assistant", content: PREFIX_2 });

    const records = parseRecords(await readFile(join(out, "trajectories.jsonl"), "utf8"), "t");
    expect(records.map((r) => [r.id, r.score.correct, r.kept, r.dropReasons])).toEqual([
      ["1", true, true, []],
      ["2", true, false, ["parse-error"]],
    ]);
    expect(records[0]!.firstThought).toMatchObject({ prefix: PREFIX_1, cot: COT_1 });
    expect(records[0]!.trajectory.settings.role).toBe("teacher");
    const filtered = parseRecords(await readFile(join(out, "filtered.jsonl"), "utf8"), "f");
    expect(filtered.map((r) => r.id)).toEqual(["1"]);
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report).toMatchObject({
      questions: 2,
      correct: 2,
      ftp: true,
      filter: { kept: 1, dropped: 1, reasons: { "parse-error": 1 } },
    });

    // SFT export: the student's short prompt (all of the pack's tools, as the reference trains with).
    const sftFile = join(dir, "sft.jsonl");
    const exported = await runCli([
      "sft",
      "export",
      "--in",
      join(out, "trajectories.jsonl"),
      "--out",
      sftFile,
      "--prompt-pack",
      PACK_FILE,
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain("1 example(s) written");
    expect(exported.stdout).toContain("1 skipped (1 parse-error)");
    const lines = (await readFile(sftFile, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(1);
    const example = JSON.parse(lines[0]!) as { messages: { role: string; content: string }[] };
    const studentPrompt = renderSystemPrompt(pack, {
      role: "student",
      authorizedImports: REFERENCE_AUTHORIZED_IMPORTS,
    });
    expect(studentPrompt).not.toBe(teacherPrompt);
    expect(example.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user", "assistant"]);
    expect(example.messages[0]!.content).toBe(studentPrompt);
    expect(example.messages[1]!.content).toBe(`New task:\n${taskFor(pack, question1)}`);
    expect(example.messages[2]!.content).toBe(`${PREFIX_1}${TEACHER[1]}`);
    expect(example.messages[3]!.content).toBe(requests[2]!.messages[3]!.content);
    expect(example.messages[4]!.content).toBe(TEACHER[2]);

    const all = await runCli([
      "sft",
      "export",
      "--in",
      join(out, "trajectories.jsonl"),
      "--out",
      sftFile,
      "--all",
      "--tools",
      "final_answer",
    ]);
    expect(all.code, all.stderr).toBe(0);
    const allLines = (await readFile(sftFile, "utf8")).trim().split("\n");
    expect(allLines).toHaveLength(2);
    expect(JSON.parse(allLines[0]!).messages[0].content).not.toContain("web_search");
  });

  it("runs without --ftp: no CoT call, no prefix", async () => {
    server = await startTestServer({
      completions: ["Thought: Check the bases.\nCode:\n```py\nfinal_answer(4)\n```<end_code>"],
      model: "test-teacher",
    });
    const out = join(dir, "no-ftp");
    const result = await runCli([
      "teach",
      "--questions",
      QUESTIONS,
      "--offset",
      "1",
      "--limit",
      "1",
      "--base-url",
      server.url,
      "--model",
      "test-teacher",
      "--out",
      out,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.body.messages.at(-1)!.role).toBe("user");
    const [record] = parseRecords(await readFile(join(out, "trajectories.jsonl"), "utf8"), "t");
    expect(record).toMatchObject({ id: "1", kept: true });
    expect(record!.firstThought).toBeUndefined();
  });

  it("fails clearly on bad input and writes nothing", async () => {
    const missing = await runCli([
      "sft",
      "export",
      "--in",
      join(dir, "nope.jsonl"),
      "--out",
      join(dir, "x.jsonl"),
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/cannot read .*nope\.jsonl: no such file/);

    const damaged = join(dir, "damaged.jsonl");
    await writeFile(damaged, '{"id":"1","trajectory":{}}\n');
    const out = join(dir, "damaged-sft.jsonl");
    const bad = await runCli(["sft", "export", "--in", damaged, "--out", out]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/damaged\.jsonl:1: not a pocket-agent trajectory/);
    await expect(readFile(out, "utf8")).rejects.toThrow();

    const badCot = join(dir, "cot.yaml");
    await writeFile(badCot, "prompt: hi\n");
    const teach = await runCli([
      "teach",
      "--questions",
      QUESTIONS,
      "--limit",
      "1",
      "--ftp",
      "--cot-prompt",
      badCot,
      "--base-url",
      "http://127.0.0.1:9/v1",
      "--model",
      "m",
      "--out",
      join(dir, "bad-teach"),
    ]);
    expect(teach.code).not.toBe(0);
    expect(teach.stderr).toMatch(/CoT prompt .*cot\.yaml: `system_prompt`/);
  });
});
