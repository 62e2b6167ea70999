/**
 * Gets context sequences to hold a prompt prefix while evaluating it as little as possible: SAG's n
 * candidates share one prompt, and consecutive agent steps share all but the newest messages.
 *
 * - A sequence keeps the KV cache of what it evaluated last; the part it shares with the new prefix
 *   is kept and only the rest is evaluated (node-llama-cpp erases the differing tail).
 * - The other sequences of a batch get the first one's state copied, not re-evaluated: node-llama-cpp
 *   3.21.1 has no public call to copy a sequence's cache into another (llama.cpp's seq_cp), but it can
 *   save one sequence's state to a file and load it into another, which is a copy of the KV cache
 *   (milliseconds, against seconds of prefill for a real prompt on a CPU).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LlamaContextSequence, Token } from "node-llama-cpp";

/** How the prompt tokens of all requests were obtained, for tests and benchmarks. */
export interface PrefixStats {
  /** Prompt tokens evaluated by the model (not found in any cache). */
  evaluated: number;
  /** Prompt tokens found already in a sequence's cache. */
  reused: number;
  /** Prompt tokens copied from another sequence's cache. */
  copied: number;
}

export class PrefixCache {
  readonly stats: PrefixStats = { evaluated: 0, reused: 0, copied: 0 };
  private stateDir: string | undefined;

  constructor(private readonly sequences: readonly LlamaContextSequence[]) {
    if (sequences.length === 0) throw new Error("PrefixCache needs at least one context sequence");
  }

  /** How many sequences hold a copy of the prompt at once (one per candidate of a request). */
  get size(): number {
    return this.sequences.length;
  }

  /** `count` sequences (at most `size`) whose state is exactly `prefix`, ready to evaluate what follows. */
  async hold(prefix: readonly Token[], count: number): Promise<LlamaContextSequence[]> {
    const chosen = this.sequences.slice(0, Math.max(1, Math.min(count, this.sequences.length)));
    const [first, ...others] = chosen;
    const evaluate = prefix.length - (await this.keepCommon(first!, prefix));
    if (evaluate > 0) await first!.evaluateWithoutGeneratingNewTokens(prefix.slice(prefix.length - evaluate));
    this.stats.evaluated += evaluate;
    this.stats.reused += prefix.length - evaluate;

    let stateFile: string | undefined;
    try {
      for (const sequence of others) {
        if ((await this.keepCommon(sequence, prefix)) === prefix.length) {
          this.stats.reused += prefix.length;
          continue;
        }
        await sequence.clearHistory();
        if (prefix.length === 0) continue;
        stateFile ??= await this.saveState(first!);
        await sequence.loadStateFromFile(stateFile, { acceptRisk: true });
        this.stats.copied += prefix.length;
      }
    } finally {
      if (stateFile) await rm(stateFile, { force: true });
    }
    return chosen;
  }

  async dispose(): Promise<void> {
    if (this.stateDir) await rm(this.stateDir, { recursive: true, force: true });
  }

  /** Erases what `sequence` holds beyond its common prefix with `prefix`; returns that prefix's length. */
  private async keepCommon(sequence: LlamaContextSequence, prefix: readonly Token[]): Promise<number> {
    const common = Math.min(sequence.compareContextTokens([...prefix]).firstDifferentIndex, prefix.length);
    if (sequence.nextTokenIndex > common) {
      await sequence.eraseContextTokenRanges([{ start: common, end: sequence.nextTokenIndex }]);
    }
    return common;
  }

  /** The state is the same model's, written and read by this process: loading it is safe. */
  private async saveState(sequence: LlamaContextSequence): Promise<string> {
    this.stateDir ??= await mkdtemp(join(tmpdir(), "pocket-agent-kv-"));
    const file = join(this.stateDir, "prefix.state");
    await sequence.saveStateToFile(file);
    return file;
  }
}
