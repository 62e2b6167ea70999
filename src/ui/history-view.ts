/**
 * The list of past runs under the trace: each can be reopened (its trace is drawn again), replayed (its
 * recorded completions, labelled as a replay), exported (a JSON download, the replay format) or deleted.
 * Also records the page's runs in the store as they start and end. A storage failure never stops a run:
 * the list says history is off, and why.
 */
import type { Trajectory } from "../agent/trajectory.ts";
import { h } from "./dom.ts";
import type { RunHistory, RunRecord } from "./history-store.ts";
import type { SettingsValues } from "./settings.ts";

export interface HistoryElements {
  list: HTMLElement;
  status: HTMLElement;
}

/** What the panel needs of the store (history-store.ts's RunHistory; a fake in unit tests). */
export type HistoryStore = Pick<RunHistory, "begin" | "finish" | "list" | "delete" | "markInterrupted">;

export interface HistoryActions {
  open(trajectory: Trajectory, note: string): void;
  replay(trajectory: Trajectory, name: string): void;
}

export class HistoryPanel {
  constructor(
    private readonly el: HistoryElements,
    private readonly store: HistoryStore,
    private readonly actions: HistoryActions,
  ) {}

  /**
   * Marks runs a previous page left unfinished as interrupted and shows the list; resolves with the
   * question of the newest interrupted run (the page puts it back in the box).
   */
  async start(): Promise<string | undefined> {
    try {
      const interrupted = await this.store.markInterrupted();
      await this.refresh();
      return interrupted?.question;
    } catch (error) {
      this.off(error);
      return undefined;
    }
  }

  /** Runs `run`, keeping the question from its start and the trajectory from its end. */
  async record(
    question: string,
    settings: SettingsValues,
    run: () => Promise<Trajectory>,
  ): Promise<Trajectory> {
    const id = await this.store.begin(question, settings).catch((error: unknown) => {
      this.off(error);
      return undefined;
    });
    try {
      const trajectory = await run();
      if (id !== undefined)
        await this.store.finish(id, trajectory).catch((error: unknown) => this.off(error));
      return trajectory;
    } catch (error) {
      // Refused or failed before it began (no trajectory): nothing worth keeping.
      if (id !== undefined) await this.store.delete(id).catch(() => {});
      throw error;
    } finally {
      await this.refresh().catch((error: unknown) => this.off(error));
    }
  }

  async refresh(): Promise<void> {
    const records = await this.store.list();
    this.el.list.replaceChildren(...records.map((record) => this.item(record)));
    this.el.status.textContent = records.length
      ? `${records.length} run${records.length === 1 ? "" : "s"}, kept in this browser.`
      : "No runs yet. Each question you ask is kept here, in this browser.";
  }

  private item(record: RunRecord): HTMLElement {
    const when = new Date(record.startedAt).toLocaleString();
    const trajectory = record.trajectory;
    const item = h(
      "li",
      { class: "history-item", data: { id: String(record.id), state: record.state } },
      h("p", { class: "history-question", text: record.question }),
      h("p", { class: "history-meta", text: `${when} · ${describeOutcome(record)}` }),
    );
    const buttons = h("div", { class: "buttons" });
    if (trajectory) {
      buttons.append(
        this.button("Open", record, () =>
          this.actions.open(trajectory, `reopened from history: “${record.question}”, asked ${when}`),
        ),
        this.button("Export", record, () => downloadJson(`pocket-agent-run-${record.id}.json`, trajectory)),
      );
      // A run that ended without an answer recorded too few completions to play back to the end.
      if (trajectory.status === "answered" || trajectory.status === "fallback")
        buttons.insertBefore(
          this.button("Replay", record, () => this.actions.replay(trajectory, `the run of ${when}`)),
          buttons.lastChild,
        );
    }
    buttons.append(
      this.button("Delete", record, async () => {
        await this.store.delete(record.id);
        await this.refresh();
      }),
    );
    item.append(buttons);
    return item;
  }

  private button(label: string, record: RunRecord, onClick: () => unknown): HTMLButtonElement {
    const button = h("button", { class: `history-${label.toLowerCase()}`, text: label });
    button.type = "button";
    // Every item has the same four buttons: the name a screen reader gives says which run each is for.
    button.setAttribute("aria-label", `${label}: ${record.question}`);
    button.addEventListener("click", () => {
      void Promise.resolve()
        .then(onClick)
        .catch((error: unknown) => this.off(error));
    });
    return button;
  }

  private off(error: unknown): void {
    this.el.status.textContent = `History is off: this browser did not let the page keep runs (${error instanceof Error ? error.message : String(error)}).`;
  }
}

function describeOutcome(record: RunRecord): string {
  if (record.state === "running") return "running";
  if (record.state === "interrupted") return "interrupted: the page was closed or reloaded during the run";
  const t = record.trajectory;
  if (!t) return "no trajectory";
  const earlier = t.thread?.turns.at(-1);
  const who = `${earlier ? `follow-up of “${earlier.question}” · ` : ""}${t.engine.isReplay ? "replay" : t.engine.label}`;
  if (t.status === "answered" || t.status === "fallback") {
    const answer = typeof t.answer === "string" ? t.answer : JSON.stringify(t.answer);
    return `${who} · ${t.engine.isReplay ? "replayed answer" : "answer"}: ${answer.length > 80 ? `${answer.slice(0, 79)}…` : answer}`;
  }
  return `${who} · ${t.status === "aborted" ? "stopped" : "failed"}`;
}

/** Offers `value` as a JSON file download. */
export function downloadJson(name: string, value: unknown): void {
  const url = URL.createObjectURL(
    new Blob([`${JSON.stringify(value, null, 2)}\n`], { type: "application/json" }),
  );
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  // The download has started by then; the object URL is no longer needed.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
