/**
 * Several servers of the same model used as one engine (a vLLM fleet with no load balancer in front):
 * each request goes to the server with the fewest requests in flight, and a request whose server fails
 * (unreachable, timed out, 5xx/429 after the adapter's own retries) is sent to another one; the failed
 * server is avoided for a while. Only when every server has failed the request does it fail.
 */
import {
  type Engine,
  EngineError,
  type EngineInfo,
  type GenerateRequest,
  type GenerateResult,
} from "../../ports/engine.ts";

export interface FleetOptions {
  /** How long a server that failed is avoided, ms (default 30 s); it is still tried when all are down. */
  cooldownMs?: number;
}

export class FleetEngine implements Engine {
  readonly info: EngineInfo;
  private readonly inFlight: number[];
  private readonly downUntil: number[];
  private readonly cooldownMs: number;

  constructor(
    private readonly members: readonly Engine[],
    options: FleetOptions = {},
  ) {
    if (members.length === 0) throw new Error("a fleet needs at least one server");
    this.inFlight = members.map(() => 0);
    this.downUntil = members.map(() => 0);
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.info = {
      kind: "fleet",
      label: `fleet of ${members.length}: ${members.map((m) => m.info.label).join(", ")}`,
      isReplay: false,
      supportsN: members.every((m) => m.info.supportsN),
    };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const tried = new Set<number>();
    let last: unknown;
    while (tried.size < this.members.length) {
      const index = this.pick(tried);
      tried.add(index);
      // A stream that already showed tokens cannot be taken back: such a failure is not retried.
      let streamed = false;
      const attempt: GenerateRequest = request.onToken
        ? {
            ...request,
            onToken: (delta) => {
              streamed = true;
              request.onToken?.(delta);
            },
          }
        : request;
      this.inFlight[index]! += 1;
      try {
        return await this.members[index]!.generate(attempt);
      } catch (error) {
        if (streamed || request.signal?.aborted || !isServerFailure(error)) throw error;
        this.downUntil[index] = Date.now() + this.cooldownMs;
        last = error;
      } finally {
        this.inFlight[index]! -= 1;
      }
    }
    const why = last instanceof Error ? last.message : String(last);
    throw new EngineError(
      `every server of the fleet failed this request; the last said: ${why}`,
      last instanceof EngineError ? last.code : "unreachable",
    );
  }

  /** The untried server with the fewest requests in flight, preferring those not recently failed. */
  private pick(tried: ReadonlySet<number>): number {
    const now = Date.now();
    let best = -1;
    for (let i = 0; i < this.members.length; i++) {
      if (tried.has(i)) continue;
      if (best === -1) {
        best = i;
        continue;
      }
      const up = this.downUntil[i]! <= now;
      const bestUp = this.downUntil[best]! <= now;
      if ((up && !bestUp) || (up === bestUp && this.inFlight[i]! < this.inFlight[best]!)) best = i;
    }
    return best;
  }
}

function isServerFailure(error: unknown): boolean {
  if (!(error instanceof EngineError)) return false;
  if (error.code === "unreachable" || error.code === "timeout") return true;
  return error.code === "http" && (error.status === 429 || (error.status ?? 0) >= 500);
}
