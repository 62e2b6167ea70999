/**
 * Voting rules of self-consistent action generation, as pure functions over candidate outcomes:
 * group passing candidates by their vote key, the largest group wins, ties go to the group whose first
 * member came earliest (so all singletons -> the first passing candidate), all failing -> the first sample.
 */

/** A candidate's outcome: its vote key, or null when it failed to parse or to run. */
export type Outcome = string | null;

export interface VoteGroup {
  key: string;
  /** Candidate indices, in order. */
  members: number[];
}

export type VoteReason = "majority" | "tie-earliest" | "all-singletons" | "all-failed" | "single";

export interface VoteDecision {
  winner: number;
  reason: VoteReason;
  groups: VoteGroup[];
}

export function groupOutcomes(outcomes: readonly Outcome[]): VoteGroup[] {
  const groups: VoteGroup[] = [];
  const byKey = new Map<string, VoteGroup>();
  outcomes.forEach((key, index) => {
    if (key === null) return;
    let group = byKey.get(key);
    if (!group) {
      group = { key, members: [] };
      byKey.set(key, group);
      groups.push(group);
    }
    group.members.push(index);
  });
  return groups;
}

/** The leading group: most members, earliest first member among equals (groups are in order of first appearance). */
function leader(groups: readonly VoteGroup[]): VoteGroup | undefined {
  let best: VoteGroup | undefined;
  for (const g of groups) if (!best || g.members.length > best.members.length) best = g;
  return best;
}

export function decideVote(outcomes: readonly Outcome[]): VoteDecision {
  if (outcomes.length === 0) throw new Error("decideVote: no candidates");
  const groups = groupOutcomes(outcomes);
  const lead = leader(groups);
  if (!lead) return { winner: 0, reason: "all-failed", groups };
  const size = lead.members.length;
  let reason: VoteReason;
  if (outcomes.length === 1) reason = "single";
  else if (size === 1) reason = "all-singletons";
  else if (groups.filter((g) => g.members.length === size).length > 1) reason = "tie-earliest";
  else reason = "majority";
  return { winner: lead.members[0]!, reason, groups };
}

/**
 * True when `remaining` more candidates cannot change what decideVote would choose, whatever they turn
 * out to be. Failures never change the leader; a group that has not appeared yet would come later than
 * the leader, so it must beat it outright; an existing group wins a tie only if it appeared first.
 */
export function isDecided(outcomes: readonly Outcome[], remaining: number): boolean {
  if (remaining === 0) return true;
  const groups = groupOutcomes(outcomes);
  const lead = leader(groups);
  if (!lead) return false;
  const a = lead.members.length;
  if (remaining > a) return false;
  const leadFirst = lead.members[0]!;
  return groups.every((g) => {
    if (g === lead) return true;
    const reach = g.members.length + remaining;
    return reach < a || (reach === a && g.members[0]! > leadFirst);
  });
}

/** The lenient vote key: whitespace runs collapsed, numbers written the same way (3.0 == 3, 0.1+0.2 == 0.3). */
export function normalizeOutput(text: string): string {
  return text
    .replace(/-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g, (num) => {
      const value = Number(num);
      return Number.isFinite(value) ? String(Number(value.toPrecision(12))) : num;
    })
    .replace(/\s+/g, " ")
    .trim();
}
