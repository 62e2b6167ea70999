/**
 * `pocket-agent eval` end to end: the real CLI, real Pyodide, and a local OpenAI-compatible server
 * playing scripted completions on real benchmark questions (GSM-Hard, Bamboogle). The completions are
 * written by hand in the student's format; no model produced them.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PACK } from "../../src/agent/packs/default-pack.ts";
import { renderSystemPrompt } from "../../src/agent/prompt-pack.ts";
import { parseRecords } from "../../src/eval/record.ts";
import type { RunReport } from "../../src/eval/report.ts";
import { REFERENCE_AUTHORIZED_IMPORTS } from "../../src/ports/executor.ts";
import { SHARD_FILE_NAME } from "../../src/retrieval/shard-format.ts";
import { buildShardBytes } from "../../src/retrieval/shard-writer.ts";
import { runCli } from "../support/cli.ts";
import { startTestServer, type TestServer } from "../support/openai-test-server.ts";
import { SHARED } from "../support/shared.ts";

const GSM = join(SHARED, "data/benchmarks/gsm_hard_500_20250507.json");
const BAMBOOGLE = join(SHARED, "data/benchmarks/bamboogle_125_20250507.json");

let dir: string;
let server: TestServer | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocket-agent-eval-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const model = (s: TestServer) => ["--base-url", s.url, "--model", "test-student"];
const readReport = async (out: string) =>
  JSON.parse(await readFile(join(out, "report.json"), "utf8")) as RunReport;
const readRecords = async (out: string) =>
  parseRecords(await readFile(join(out, "trajectories.jsonl"), "utf8"), "trajectories.jsonl");

// Student-format completions for the first GSM-Hard questions, in the order the run asks for them.
const GSM_STUDENT = [
  // 1309: 218983 apples a day, two people, 30 days -> 13138980 (correct, two steps).
  "Thought: Two people eat 218983 apples a day each, for 30 days.\nCode:\n```py\ntotal = 218983 * 2 * 30\nprint(total)\n```<end_code>",
  "Thought: The total is 13138980.\nCode:\n```py\nfinal_answer(13138980)\n```<end_code>",
  // 228: a parse error first (no code), then the right count (5 arms + 3 legs = 8).
  "Thought: An arm every 3 days and a leg every 5 days over 15 days.",
  "Thought: Compute it.\nCode:\n```py\nlimbs = 15 // 3 + 15 // 5\nfinal_answer(limbs)\n```<end_code>",
  // 51: a wrong answer.
  "Thought: I will guess.\nCode:\n```py\nfinal_answer(42)\n```<end_code>",
];

// Each test runs the CLI (Pyodide start-up included) once or twice on a shared, busy machine.
describe("pocket-agent eval", { timeout: 300_000 }, () => {
  it("runs the student on a benchmark, writes trajectories and a report, and resumes", async () => {
    const out = join(dir, "gsm");
    server = await startTestServer({ completions: GSM_STUDENT });
    const first = await runCli(["eval", "--benchmark", GSM, "--limit", "3", ...model(server), "--out", out]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("gsm_hard_500_20250507 (math): 2/3 correct, accuracy 66.7%");
    expect(first.stderr).toMatch(/eval gsm_hard_500_20250507: 3 question\(s\) run, 2 correct/);

    const report = await readReport(out);
    expect(report).toMatchObject({
      benchmark: "gsm_hard_500_20250507",
      dataset: "MATH",
      kind: "math",
      model: "test-student",
      questions: 3,
      correct: 2,
      status: { answered: 3 },
      fallbackRate: 0,
      steps: { total: 5, max: 2 },
      questionsWithParseError: 1,
    });
    expect(report.accuracy).toBeCloseTo(2 / 3, 10);
    expect(report.parseErrorRate).toBeCloseTo(1 / 5, 10);
    expect(report.tokens.prompt).toBeGreaterThan(0);
    expect(report.tokens.completion).toBeGreaterThan(0);
    expect(report.timePerQuestionMs.mean).toBeGreaterThan(0);

    const records = await readRecords(out);
    expect(records.map((r) => [r.id, r.score.correct, r.trajectory.answer])).toEqual([
      ["1309", true, 13138980],
      ["228", true, 8],
      ["51", false, 42],
    ]);
    expect(records[0]!.trajectory.settings.role).toBe("student");

    // The student's short prompt, without web_search when no shard is given.
    const system = renderSystemPrompt(DEFAULT_PACK, {
      role: "student",
      authorizedImports: REFERENCE_AUTHORIZED_IMPORTS,
      toolNames: DEFAULT_PACK.tools.map((t) => t.name).filter((n) => n !== "web_search"),
    });
    expect(server.requests[0]!.body.messages[0]!.content).toBe(system);
    expect(server.requests).toHaveLength(5);
    await server.close();

    // Resume: only the fourth question runs; the report covers all four.
    server = await startTestServer({
      completions: [
        "Thought: 5 + 4 = 9 hours of soccer... as a percentage of 12 that is 50.\nCode:\n```py\nfinal_answer('50%')\n```",
      ],
    });
    const second = await runCli(["eval", "--benchmark", GSM, "--limit", "4", ...model(server), "--out", out]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain("resuming, 3 question(s) already in");
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.body.messages[1]!.content).toContain("Tatiana is deciding");
    const resumed = await readReport(out);
    expect(resumed).toMatchObject({ questions: 4, correct: 3 });
    expect((await readRecords(out)).map((r) => r.id)).toEqual(["1309", "228", "51", "563"]);

    // Resuming with other settings (here the reference preset: n 8, temperature 0.4...) is refused
    // before any model call, naming each difference; the folder is left as it was.
    const before = await readFile(join(out, "trajectories.jsonl"), "utf8");
    const refused = await runCli([
      "eval",
      "--benchmark",
      GSM,
      "--limit",
      "5",
      "--preset",
      "reference",
      ...model(server),
      "--out",
      out,
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      /holds records made with other settings \(.*n: 1 in the folder, 8 now; temperature: unset in the folder, 0\.4 now.*seed: unset in the folder, 42 now\).*--force/,
    );
    expect(server.requests).toHaveLength(1);
    expect(await readFile(join(out, "trajectories.jsonl"), "utf8")).toBe(before);
  });

  it("scores factual answers with EM and F1 and counts fallbacks", async () => {
    const out = join(dir, "bamboogle");
    server = await startTestServer({
      completions: [
        "Thought: Citibank was founded in 1812, when James Madison was president.\nCode:\n```py\nfinal_answer('James Madison')\n```",
        // Step budget of 1 spent without an answer: the fallback call answers.
        "Thought: I need to look this up.\nCode:\n```py\nprint('Voyager 2')\n```",
        "Titan III",
      ],
    });
    const result = await runCli([
      "eval",
      "--benchmark",
      BAMBOOGLE,
      "--limit",
      "2",
      "--max-steps",
      "1",
      ...model(server),
      "--out",
      out,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = await readReport(out);
    expect(report).toMatchObject({
      kind: "fact",
      questions: 2,
      correct: 1,
      status: { answered: 1, fallback: 1 },
    });
    expect(report.em).toBeCloseTo(0.5, 10);
    // F1: 1 for "James Madison"; "Titan III" vs "Titan IIIE" share one of two tokens -> 0.5.
    expect(report.f1).toBeCloseTo((1 + 0.5) / 2, 10);
    expect(report.fallbackRate).toBe(0.5);
    expect(report.scoring).toMatchObject({ method: "exact-match" });
    expect(report.scoring.note).toMatch(/not comparable with the paper's figures/);
  });

  it("scores factual answers with an LLM judge when one is named, and records its verdicts", async () => {
    const out = join(dir, "bamboogle-judged");
    server = await startTestServer({
      completions: [
        "Thought: Citibank dates from 1812.\nCode:\n```py\nfinal_answer('President James Madison')\n```",
        "Thought: Voyager 2 flew on a Titan.\nCode:\n```py\nfinal_answer('Titan III')\n```",
      ],
    });
    // The judge is a second scripted server (no model): it accepts the first answer, which EM rejects,
    // and rejects the second.
    const judge = await startTestServer({
      model: "test-judge",
      completions: [
        '{"explanation": "Same person, with his title.", "score": 1}',
        '```json\n{"explanation": "Titan III is not the Titan IIIE.", "score": 0}\n```',
      ],
    });
    try {
      const result = await runCli([
        "eval",
        "--benchmark",
        BAMBOOGLE,
        "--limit",
        "2",
        ...model(server),
        "--judge-base-url",
        judge.url,
        "--judge-model",
        "test-judge",
        "--out",
        out,
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain("scored by llm-judge (test-judge)");
      const report = await readReport(out);
      expect(report).toMatchObject({ questions: 2, correct: 1, accuracy: 0.5, em: 0 });
      expect(report.scoring).toEqual({ method: "llm-judge", judgeModel: "test-judge" });
      const records = await readRecords(out);
      expect(records.map((r) => [r.score.correct, r.score.em, r.score.judge?.explanation])).toEqual([
        [true, 0, "Same person, with his title."],
        [false, 0, "Titan III is not the Titan IIIE."],
      ]);
      // What the judge was asked: the question, the prediction and the gold answer, at temperature 0.
      expect(judge.requests).toHaveLength(2);
      expect(judge.requests[0]!.body.temperature).toBe(0);
      expect(judge.requests[0]!.body.messages[0]!.content).toContain(
        "Predicted answer: President James Madison\nGold answer: james madison",
      );
    } finally {
      await judge.close();
    }
  });

  it("refuses a judge named by half", async () => {
    const result = await runCli([
      "eval",
      "--benchmark",
      BAMBOOGLE,
      "--base-url",
      "http://127.0.0.1:9/v1",
      "--model",
      "m",
      "--judge-model",
      "j",
      "--out",
      join(dir, "half-judge"),
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/needs both --judge-base-url URL and --judge-model NAME/);
  });

  it("spreads questions over a fleet of servers and carries on when one dies mid-run", async () => {
    const out = join(dir, "fleet");
    const answer = "Thought: I recall it.\nCode:\n```py\nfinal_answer('James Madison')\n```";
    const doomed = await startTestServer({ completions: Array(4).fill(answer) });
    server = await startTestServer({ completions: Array(4).fill(answer) });
    // The first server dies right after it has answered once.
    const watch = setInterval(() => {
      if (doomed.requests.length >= 1) {
        clearInterval(watch);
        void doomed.kill();
      }
    }, 5);
    try {
      const result = await runCli([
        "eval",
        "--benchmark",
        BAMBOOGLE,
        "--limit",
        "4",
        "--concurrency",
        "2",
        "--base-url",
        `${doomed.url},${server.url}`,
        "--model",
        "test-student",
        "--out",
        out,
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect((await readRecords(out)).map((r) => r.id).sort()).toEqual(["0", "1", "2", "3"]);
      expect((await readReport(out)).questions).toBe(4);
      // Both served; the survivor took the rest.
      expect(doomed.requests.length).toBeGreaterThanOrEqual(1);
      expect(server.requests.length).toBeGreaterThanOrEqual(4 - doomed.requests.length);
    } finally {
      clearInterval(watch);
      await doomed.kill();
    }
  });

  it("runs the CoT baseline: majority of n replies, retrieval before the question, CoT SFT export", async () => {
    const out = join(dir, "cot");
    const shardDir = join(dir, "cot-shard");
    await mkdir(shardDir, { recursive: true });
    await writeFile(
      join(shardDir, SHARD_FILE_NAME),
      buildShardBytes([
        { title: "Citigroup", text: "Citibank was founded in 1812 as the City Bank of New York." },
        {
          title: "James Madison",
          text: "James Madison was president of the United States from 1809 to 1817.",
        },
      ]),
    );
    // Two replies for the one question: n = 2, the first wins the 1-1 tie.
    server = await startTestServer({
      completions: [
        "Citibank was founded in 1812; Madison was president then.\n<answer> James Madison </answer>",
        "<answer>Thomas Jefferson</answer>",
      ],
    });
    const result = await runCli([
      "eval",
      "--benchmark",
      BAMBOOGLE,
      "--limit",
      "1",
      "--mode",
      "cot",
      "--use-rag",
      "--shard",
      shardDir,
      "--n",
      "2",
      "--temperature",
      "0.7",
      ...model(server),
      "--out",
      out,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const sent = server.requests[0]!.body;
    expect(sent.n).toBe(2);
    expect(sent.messages[0]!.role).toBe("system");
    const question = "Who was president of the United States in the year that Citibank was founded?";
    expect(sent.messages[1]!.content).toMatch(
      /^\nRetrieved documents:\n\n===== Document 0, similarity: [\d.]+ =====\n"(Citigroup|James Madison)"/,
    );
    expect(sent.messages[1]!.content.endsWith(`\n${question}`)).toBe(true);
    const [record] = await readRecords(out);
    expect(record!.trajectory.answer).toBe("James Madison");
    expect(record!.score.correct).toBe(true);
    expect(record!.trajectory.settings).toMatchObject({ promptPack: "cot:default", maxSteps: 0, n: 2 });
    expect((await readReport(out)).settings).toMatchObject({ mode: "cot" });

    const sft = join(dir, "cot-sft.jsonl");
    const exported = await runCli(["sft", "export", "--in", join(out, "trajectories.jsonl"), "--out", sft]);
    expect(exported.code, exported.stderr).toBe(0);
    const example = JSON.parse((await readFile(sft, "utf8")).trim()) as {
      messages: { role: string; content: string }[];
    };
    expect(example.messages.map((m) => m.role)).toEqual(["system", "user", "assistant"]);
    expect(example.messages[0]!.content).toBe(sent.messages[0]!.content);
    expect(example.messages[2]!.content).toContain("<answer> James Madison </answer>");
  });

  it("refuses --use-rag without a shard", async () => {
    const result = await runCli([
      "eval",
      "--benchmark",
      BAMBOOGLE,
      "--mode",
      "cot",
      "--use-rag",
      "--base-url",
      "http://127.0.0.1:9/v1",
      "--model",
      "m",
      "--out",
      join(dir, "cot-no-shard"),
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--use-rag retrieves from a shard: give --shard DIR/);
  });

  it("runs questions concurrently, one Pyodide worker each", async () => {
    const out = join(dir, "concurrent");
    // The same completion for every question, so the order in which workers ask does not matter.
    const answer = "Thought: I recall it.\nCode:\n```py\nfinal_answer('James Madison')\n```";
    server = await startTestServer({ completions: [answer, answer, answer] });
    const result = await runCli([
      "eval",
      "--benchmark",
      BAMBOOGLE,
      "--limit",
      "3",
      "--concurrency",
      "2",
      ...model(server),
      "--out",
      out,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(server.requests).toHaveLength(3);
    expect(await readReport(out)).toMatchObject({ questions: 3, correct: 1, status: { answered: 3 } });
    expect((await readRecords(out)).map((r) => r.id).sort()).toEqual(["0", "1", "2"]);
  });

  it("runs several sets one after another, each in its own folder, with a summary", async () => {
    const out = join(dir, "several");
    server = await startTestServer({
      completions: [
        "Thought: 218983 * 2 * 30.\nCode:\n```py\nfinal_answer(218983 * 2 * 30)\n```",
        "Thought: I recall it.\nCode:\n```py\nfinal_answer('James Madison')\n```",
      ],
    });
    const result = await runCli([
      "eval",
      "--benchmark",
      GSM,
      BAMBOOGLE,
      "--limit",
      "1",
      ...model(server),
      "--out",
      out,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /gsm_hard_500_20250507 +100\.0% +1\/1\nbamboogle_125_20250507 +100\.0% +1\/1\n/,
    );
    const summary = JSON.parse(await readFile(join(out, "summary.json"), "utf8"));
    expect(summary).toMatchObject([
      { benchmark: "gsm_hard_500_20250507", kind: "math", questions: 1, correct: 1 },
      { benchmark: "bamboogle_125_20250507", kind: "fact", questions: 1, correct: 1, em: 1, f1: 1 },
    ]);
    expect(await readReport(join(out, "bamboogle_125_20250507"))).toMatchObject({ questions: 1, correct: 1 });
  });

  it("rejects a damaged benchmark file before running anything", async () => {
    const bad = join(dir, "bad.json");
    await writeFile(bad, JSON.stringify({ metadata: {}, examples: [{ id: 1, answer: "x" }] }));
    server = await startTestServer({ completions: [] });
    const out = join(dir, "bad-out");
    // Listed after a good set: nothing runs, not even the good one.
    const result = await runCli(["eval", "--benchmark", GSM, bad, ...model(server), "--out", out]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^pocket-agent: benchmark .*bad\.json: examples\[0\]\.question: /);
    expect(server.requests).toHaveLength(0);
    await expect(stat(out)).rejects.toThrow();
  });

  it("grades math answers as the reference does, with sympy for the symbolic ones", async () => {
    // A hand-made set (MATH-style golds); the name makes it a math set.
    const file = join(dir, "math_symbolic_3.json");
    await writeFile(
      file,
      JSON.stringify({
        metadata: { dataset_info: { name: "MATH" } },
        examples: [
          { id: "a", question: "Expand (x+1)^2.", answer: "x^2+2x+1" },
          { id: "b", question: "What is half of pi?", answer: "\\frac{\\pi}{2}" },
          { id: "c", question: "How much does it cost?", answer: "18" },
        ],
      }),
    );
    server = await startTestServer({
      completions: [
        'Thought: Expand it.\nCode:\n```py\nfinal_answer("The answer is \\\\boxed{(x+1)^2}.")\n```<end_code>',
        "Thought: pi/2 is about 1.5708.\nCode:\n```py\nfinal_answer(1.5708)\n```<end_code>",
        'Thought: 18 dollars.\nCode:\n```py\nfinal_answer("18 dollars")\n```<end_code>',
      ],
    });
    const out = join(dir, "math-symbolic");
    const result = await runCli(["eval", "--benchmark", file, ...model(server), "--out", out]);
    expect(result.code, result.stderr).toBe(0);
    const records = await readRecords(out);
    // Symbolically equal; \\pi is a symbol to the reference's parser, so no decimal equals it; an
    // unboxed answer is graded as written, unit and all.
    expect(records.map((r) => [r.id, r.score.correct, r.score.extracted])).toEqual([
      ["a", true, "(x+1)^2"],
      ["b", false, "1.5708"],
      ["c", false, "18 dollars"],
    ]);
  });

  it("stops on a server error without recording the failed question, and says how to resume", async () => {
    server = await startTestServer({ completions: ["never used"] });
    const out = join(dir, "wrong-model");
    const result = await runCli([
      "eval",
      "--benchmark",
      GSM,
      "--limit",
      "2",
      "--base-url",
      server.url,
      "--model",
      "no-such-model",
      "--out",
      out,
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/stopped at question 1309: .*no-such-model/);
    expect(result.stderr).toContain("run the same command again to resume");
    expect(await readFile(join(out, "trajectories.jsonl"), "utf8").catch(() => "")).toBe("");
    expect(await readReport(out)).toMatchObject({ questions: 0 });
  });
});
