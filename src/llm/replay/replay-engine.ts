/**
 * Plays recorded completions back in order, deterministically: for tests, demos and re-running a saved
 * trajectory (its recorded completions: recordedCompletions in src/agent/trajectory.ts). Its info says
 * it is a replay, and every trace and page that shows a run must say so too.
 */
import {
  type Engine,
  EngineError,
  type EngineInfo,
  type GenerateRequest,
  type GenerateResult,
} from "../../ports/engine.ts";
import { cutAtStop } from "../stop.ts";

export class ReplayEngine implements Engine {
  readonly info: EngineInfo;
  readonly requests: GenerateRequest[] = [];
  private next = 0;

  constructor(
    private readonly completions: readonly string[],
    source = "recorded completions",
  ) {
    this.info = { kind: "replay", label: `replay of ${source}`, isReplay: true, supportsN: true };
  }

  get remaining(): number {
    return this.completions.length - this.next;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    request.signal?.throwIfAborted();
    this.requests.push(request);
    const n = request.n ?? 1;
    if (this.remaining < n) {
      throw new EngineError(
        `replay exhausted: call ${this.requests.length} asked for ${n} completion(s), ${this.remaining} left of ${this.completions.length}`,
        "exhausted",
      );
    }
    const texts = this.completions.slice(this.next, this.next + n).map((t) => cutAtStop(t, request.stop));
    this.next += n;
    if (n === 1 && request.onToken)
      for (const piece of texts[0]!.match(/[\s\S]{1,16}/g) ?? []) request.onToken(piece);
    return { completions: texts.map((text) => ({ text, finishReason: "stop" })), model: this.info.label };
  }
}
