import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../src/eval/record.ts";
import { settingsMismatch } from "../../src/eval/resume.ts";
import { fakeTrajectory } from "../support/trajectory.ts";

const record = (settings: Partial<RunRecord["trajectory"]["settings"]>): RunRecord => {
  const trajectory = fakeTrajectory();
  return {
    id: "1",
    question: "q",
    gold: "a",
    kind: "fact",
    score: { correct: true, extracted: "a" },
    trajectory: { ...trajectory, settings: { ...trajectory.settings, ...settings } },
  };
};

describe("settingsMismatch", () => {
  it("is empty for an empty folder or the same settings", () => {
    const same = record({ n: 1, maxSteps: 5 }).trajectory.settings;
    expect(settingsMismatch([], { n: 8 })).toBe("");
    expect(settingsMismatch([record({ n: 1, maxSteps: 5 })], same)).toBe("");
  });

  it("names each setting that differs, with both values", () => {
    const now = { ...record({}).trajectory.settings, n: 8, temperature: 0.4, promptPack: "reference.yaml" };
    const said = settingsMismatch([record({ n: 1, temperature: undefined })], now);
    expect(said).toContain("n: 1 in the folder, 8 now");
    expect(said).toContain("temperature: unset in the folder, 0.4 now");
    expect(said).toMatch(/promptPack: ".*" in the folder, "reference.yaml" now/);
  });
});
