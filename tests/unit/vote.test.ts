import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideVote, isDecided, normalizeOutput, type Outcome } from "../../src/agent/vote.ts";

describe("voting rules", () => {
  it("picks the first member of the largest group", () => {
    expect(decideVote(["a\n", "b\n", "b\n", null, "b\n", "a\n"])).toMatchObject({
      winner: 1,
      reason: "majority",
    });
  });

  it("breaks ties by the group that appeared first", () => {
    expect(decideVote([null, "x", "y", "y", "x"])).toMatchObject({ winner: 1, reason: "tie-earliest" });
  });

  it("takes the first passing candidate when all are singletons", () => {
    expect(decideVote([null, null, "p", "q", "r"])).toMatchObject({ winner: 2, reason: "all-singletons" });
  });

  it("falls back to the first sample when every candidate failed", () => {
    expect(decideVote([null, null, null])).toMatchObject({ winner: 0, reason: "all-failed", groups: [] });
  });

  it("reports groups with their members in order", () => {
    expect(decideVote(["a", "b", "a"]).groups).toEqual([
      { key: "a", members: [0, 2] },
      { key: "b", members: [1] },
    ]);
  });
});

describe("adaptive voting", () => {
  it("stops once the leader cannot be caught", () => {
    expect(isDecided(["a", "a", "a", "a", "a"], 3)).toBe(true);
    expect(isDecided(["a", "a", "a"], 3)).toBe(true); // a new group of 3 would tie and lose to the earlier "a"
    expect(isDecided(["a", "a", "a"], 4)).toBe(false);
    expect(isDecided(["b", "a", "a"], 1)).toBe(false); // "b" appeared first and could tie 2-2
    expect(isDecided(["a", "a", "b"], 1)).toBe(true); // "b" could tie 2-2 but "a" appeared first
    expect(isDecided([null, null], 1)).toBe(false);
    expect(isDecided([null, null], 0)).toBe(true);
  });

  const outcome = fc.oneof(fc.constant(null), fc.constantFrom("1\n", "2\n", "3\n", "4\n"));

  it("chooses exactly what full voting chooses, on many random candidate sets", () => {
    fc.assert(
      fc.property(fc.array(outcome, { minLength: 1, maxLength: 12 }), (all: Outcome[]) => {
        let seen = 0;
        while (seen < all.length && !isDecided(all.slice(0, seen), all.length - seen)) seen++;
        expect(decideVote(all.slice(0, Math.max(seen, 1))).winner).toBe(decideVote(all).winner);
      }),
      { numRuns: 5000 },
    );
  });

  it("saves generations when a majority forms early", () => {
    const saved = (all: Outcome[]) => {
      let seen = 0;
      while (seen < all.length && !isDecided(all.slice(0, seen), all.length - seen)) seen++;
      return all.length - seen;
    };
    expect(saved(["7\n", "7\n", "7\n", "7\n", "7\n", "7\n", "7\n", "7\n"])).toBe(4);
    expect(saved(["7\n", "8\n", "7\n", "8\n", "7\n", "8\n", "7\n", "8\n"])).toBe(1);
    expect(saved([null, "8\n", "7\n", "7\n", "8\n", null, "9\n", "8\n"])).toBe(0);
  });
});

describe("normalised vote keys", () => {
  it("ignores whitespace and float formatting", () => {
    expect(normalizeOutput("  3.0\n\n  apples  ")).toBe(normalizeOutput("3 apples"));
    expect(normalizeOutput(String(0.1 + 0.2))).toBe("0.3");
    expect(normalizeOutput("4")).not.toBe(normalizeOutput("5"));
  });
});
