// @vitest-environment happy-dom
/**
 * The history panel (src/ui/history-view.ts) with an in-memory store: what it keeps of a run, what it
 * offers for each past run, and that a store which fails never stops a run. IndexedDB itself is exercised
 * in Chromium (tests/e2e/app-history.test.ts).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { TRAJECTORY_SCHEMA, TRAJECTORY_VERSION, type Trajectory } from "../../src/agent/trajectory.ts";
import type { RunRecord } from "../../src/ui/history-store.ts";
import { HistoryPanel, type HistoryStore } from "../../src/ui/history-view.ts";
import { DEFAULT_VALUES } from "../../src/ui/settings.ts";

class MemoryStore implements HistoryStore {
  records: RunRecord[] = [];
  failing = false;
  async begin(question: string, settings: typeof DEFAULT_VALUES) {
    if (this.failing) throw new Error("IndexedDB is disabled");
    const { openaiApiKey: _secret, ...kept } = settings;
    const id = this.records.length + 1;
    this.records.push({
      id,
      question,
      startedAt: new Date(0).toISOString(),
      settings: kept,
      state: "running",
    });
    return id;
  }
  async finish(id: number, trajectory: Trajectory) {
    const record = this.records.find((r) => r.id === id)!;
    Object.assign(record, { state: "finished", trajectory });
  }
  async list() {
    if (this.failing) throw new Error("IndexedDB is disabled");
    return [...this.records].reverse();
  }
  async delete(id: number) {
    this.records = this.records.filter((r) => r.id !== id);
  }
  async markInterrupted() {
    const running = this.records.filter((r) => r.state === "running");
    for (const r of running) r.state = "interrupted";
    return running.at(-1);
  }
}

function trajectory(question: string, status: Trajectory["status"]): Trajectory {
  return {
    schema: TRAJECTORY_SCHEMA,
    version: TRAJECTORY_VERSION,
    createdAt: new Date(0).toISOString(),
    question,
    task: question,
    engine: { kind: "openai", label: "student @ server", isReplay: false },
    settings: { role: "student", promptPack: "default", maxSteps: 5, n: 1 },
    messages: [],
    steps: [],
    status,
    answer: status === "answered" ? "42" : null,
    usage: { promptTokens: 0, completionTokens: 0 },
    durationMs: 0,
  };
}

let store: MemoryStore;
let panel: HistoryPanel;
let list: HTMLElement;
let status: HTMLElement;
const opened: string[] = [];

beforeEach(() => {
  document.body.innerHTML = `<p id="s"></p><ol id="l"></ol>`;
  list = document.getElementById("l")!;
  status = document.getElementById("s")!;
  store = new MemoryStore();
  opened.length = 0;
  panel = new HistoryPanel({ list, status }, store, {
    open: (t, note) => opened.push(`open ${t.question} (${note})`),
    replay: (t, name) => opened.push(`replay ${t.question} as ${name}`),
  });
});

const buttons = (item: Element) => [...item.querySelectorAll("button")].map((b) => b.textContent);

describe("HistoryPanel", () => {
  it("keeps a run's question and settings (not the API key) from its start, and its trajectory from its end", async () => {
    const settings = { ...DEFAULT_VALUES, openaiApiKey: "sk-secret" };
    let during: RunRecord[] = [];
    await panel.record("Six times seven?", settings, async () => {
      during = structuredClone(store.records);
      return trajectory("Six times seven?", "answered");
    });
    expect(during.map((r) => [r.question, r.state])).toEqual([["Six times seven?", "running"]]);
    expect(JSON.stringify(store.records)).not.toContain("sk-secret");
    expect(store.records[0]!.state).toBe("finished");
    const item = list.querySelector(".history-item")!;
    expect(item.querySelector(".history-meta")?.textContent).toMatch(/ · student @ server · answer: 42$/);
    expect(buttons(item)).toEqual(["Open", "Replay", "Export", "Delete"]);
    expect(item.querySelector("button")?.getAttribute("aria-label")).toBe("Open: Six times seven?");
    (item.querySelector(".history-open") as HTMLButtonElement).click();
    (item.querySelector(".history-replay") as HTMLButtonElement).click();
    await Promise.resolve();
    expect(opened[0]).toMatch(/^open Six times seven\? \(reopened from history: “Six times seven\?”, asked /);
    expect(opened[1]).toMatch(/^replay Six times seven\? as the run of /);
  });

  it("offers no replay of a run that ended without an answer, and keeps nothing of a run that never began", async () => {
    await panel.record("Stopped?", DEFAULT_VALUES, async () => trajectory("Stopped?", "aborted"));
    expect(buttons(list.querySelector(".history-item")!)).toEqual(["Open", "Export", "Delete"]);
    await expect(
      panel.record("Refused?", DEFAULT_VALUES, async () => {
        throw new Error("replay refused");
      }),
    ).rejects.toThrow("replay refused");
    expect(store.records.map((r) => r.question)).toEqual(["Stopped?"]);
  });

  it("hands back the question of a run a reload interrupted, and deletes a run", async () => {
    await store.begin("Interrupted?", DEFAULT_VALUES);
    expect(await panel.start()).toBe("Interrupted?");
    const item = list.querySelector<HTMLElement>(".history-item")!;
    expect(item.dataset["state"]).toBe("interrupted");
    expect(buttons(item)).toEqual(["Delete"]);
    (item.querySelector(".history-delete") as HTMLButtonElement).click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(store.records).toEqual([]);
    expect(list.children).toHaveLength(0);
    expect(status.textContent).toMatch(/^No runs yet/);
  });

  it("still runs when the browser keeps nothing, and says history is off", async () => {
    store.failing = true;
    const t = await panel.record("Q?", DEFAULT_VALUES, async () => trajectory("Q?", "answered"));
    expect(t.answer).toBe("42");
    expect(status.textContent).toBe(
      "History is off: this browser did not let the page keep runs (IndexedDB is disabled).",
    );
  });
});
