import { describe, expect, it } from "vitest";
import { FleetEngine } from "../../src/llm/fleet/fleet-engine.ts";
import { type Engine, EngineError, type GenerateRequest } from "../../src/ports/engine.ts";

/** A server stand-in: answers with its name after `delayMs`, or fails as told. */
function server(name: string, behaviour: { fail?: EngineError; delayMs?: number; tokens?: boolean } = {}) {
  const calls: GenerateRequest[] = [];
  const engine: Engine & { calls: GenerateRequest[] } = {
    calls,
    info: { kind: "openai", label: name, isReplay: false, supportsN: true },
    async generate(request) {
      calls.push(request);
      if (behaviour.tokens) request.onToken?.("partial ");
      await new Promise((r) => setTimeout(r, behaviour.delayMs ?? 1));
      if (behaviour.fail) throw behaviour.fail;
      return { completions: [{ text: name, finishReason: "stop" }], model: "m" };
    },
  };
  return engine;
}
const ask = (fleet: Engine, extra: Partial<GenerateRequest> = {}) =>
  fleet.generate({ messages: [{ role: "user", content: "q" }], ...extra });

describe("FleetEngine", () => {
  it("spreads requests in flight over the servers", async () => {
    const a = server("a", { delayMs: 30 });
    const b = server("b", { delayMs: 30 });
    const fleet = new FleetEngine([a, b]);
    const texts = await Promise.all([ask(fleet), ask(fleet), ask(fleet), ask(fleet)]);
    expect(texts.map((r) => r.completions[0]!.text).sort()).toEqual(["a", "a", "b", "b"]);
    expect(fleet.info).toMatchObject({ kind: "fleet", isReplay: false, supportsN: true });
  });

  it("sends a request whose server is down to another one, then avoids the dead one", async () => {
    const dead = server("dead", { fail: new EngineError("cannot reach dead", "unreachable") });
    const live = server("live");
    const fleet = new FleetEngine([dead, live]);
    expect((await ask(fleet)).completions[0]!.text).toBe("live");
    expect((await ask(fleet)).completions[0]!.text).toBe("live");
    expect(dead.calls).toHaveLength(1);
    expect(live.calls).toHaveLength(2);
  });

  it("retries elsewhere on 5xx and 429, not on errors another server would repeat", async () => {
    const busy = new FleetEngine([
      server("x", { fail: new EngineError("HTTP 503", "http", 503) }),
      server("y"),
    ]);
    expect((await ask(busy)).completions[0]!.text).toBe("y");
    const badKey = server("k", { fail: new EngineError("401 unauthorized", "http", 401) });
    const other = server("z");
    await expect(ask(new FleetEngine([badKey, other]))).rejects.toThrow(/401 unauthorized/);
    expect(other.calls).toHaveLength(0);
  });

  it("does not retry a stream that already showed tokens, nor a cancelled request", async () => {
    const half = server("half", { tokens: true, fail: new EngineError("dropped", "unreachable") });
    const other = server("other");
    await expect(ask(new FleetEngine([half, other]), { onToken: () => {} })).rejects.toThrow(/dropped/);
    expect(other.calls).toHaveLength(0);
    const controller = new AbortController();
    controller.abort();
    const cancelled = server("c", { fail: new EngineError("generation cancelled", "aborted") });
    await expect(ask(new FleetEngine([cancelled, other]), { signal: controller.signal })).rejects.toThrow(
      /cancelled/,
    );
    expect(other.calls).toHaveLength(0);
  });

  it("fails with the last reason when every server fails", async () => {
    const fleet = new FleetEngine([
      server("p", { fail: new EngineError("cannot reach p", "unreachable") }),
      server("q", { fail: new EngineError("cannot reach q", "unreachable") }),
    ]);
    await expect(ask(fleet)).rejects.toThrow(
      /every server of the fleet failed this request; the last said: cannot reach [pq]/,
    );
  });
});
