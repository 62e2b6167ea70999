/**
 * The page's controller: reads the settings, keeps the engine, the shard and the Python executor, runs the
 * agent with a Stop button, and shows every failure in the error box without clearing the question, the
 * settings or the last trace.
 */
import { DEFAULT_PACK } from "../agent/packs/default-pack.ts";
import { loadPromptPack, type PromptPack } from "../agent/prompt-pack.ts";
import type { Trajectory } from "../agent/trajectory.ts";
import { findCatalogModel } from "../llm/catalog.ts";
import type { WorkerLike } from "../llm/webllm/load.ts";
import { checkWebGPU } from "../llm/webllm/webgpu.ts";
import type { Executor, ExecutorOptions } from "../ports/executor.ts";
import { type ActiveShard, AgentSession, isLocal } from "./agent-session.ts";
import { describeCapabilities } from "./capabilities.ts";
import { byId } from "./dom.ts";
import { EngineProvider, type ReplaySource } from "./engines.ts";
import { RunHistory } from "./history-store.ts";
import { HistoryPanel } from "./history-view.ts";
import { findLocalModel, localModels } from "./local-models.ts";
import { formatBytes, ProgressBar } from "./progress-bar.ts";
import { describeReplay } from "./replay-plan.ts";
import {
  DEFAULT_VALUES,
  type EngineChoice,
  type EngineKind,
  hasStoredEngine,
  loadValues,
  parseSettings,
  type RunSettings,
  SettingsError,
  type SettingsValues,
  saveValues,
} from "./settings.ts";
import { ShardBuildView } from "./shard-build-view.ts";
import {
  checkShard,
  fetchBytes,
  openShardInfo,
  readBlob,
  ShardError,
  type ShardStore,
} from "./shard-store.ts";
import { TraceView } from "./trace-view.ts";

export interface AppDeps {
  createExecutor(options: ExecutorOptions): Promise<Executor>;
  spawnLlmWorker(): WorkerLike;
  shardStore: ShardStore;
  storage?: Storage;
  /** Prebuilt web-llm model ids offered in the model box. */
  modelIds: readonly string[];
}

export class App {
  private readonly form = byId("settings-form", HTMLFormElement);
  private readonly question = byId("question", HTMLTextAreaElement);
  private readonly askButton = byId("ask", HTMLButtonElement);
  private readonly stopButton = byId("stop", HTMLButtonElement);
  private readonly errorBox = byId("error", HTMLDivElement);
  private readonly saveButton = byId("save-trajectory", HTMLButtonElement);
  private readonly followUpButton = byId("follow-up", HTMLButtonElement);
  private readonly followUpNote = byId("follow-up-note", HTMLParagraphElement);
  private readonly shardStatus = byId("shard-status", HTMLParagraphElement);
  private readonly replayStatus = byId("replay-status", HTMLParagraphElement);
  private readonly forgetShardButton = byId("forget-shard", HTMLButtonElement);
  private readonly engineStatus = byId("engine-status", HTMLParagraphElement);
  private readonly capabilities = byId("capabilities", HTMLParagraphElement);
  private readonly modelBar = progressBar("model-progress");
  private readonly shardBar = progressBar("shard-progress");
  private readonly pythonBar = progressBar("python-progress");
  private readonly trace = new TraceView({
    trace: byId("trace", HTMLDivElement),
    answer: byId("answer", HTMLElement),
    replayBanner: byId("replay-banner", HTMLDivElement),
  });
  private readonly history = new HistoryPanel(
    { list: byId("history-list", HTMLOListElement), status: byId("history-status", HTMLParagraphElement) },
    new RunHistory(),
    {
      // Not during a run: its next events would land in the reopened trace.
      open: (trajectory, note) => {
        if (!this.running) this.trace.show(trajectory, note);
      },
      replay: (trajectory, name) => void this.replayPast(trajectory, name),
    },
  );
  private readonly engines: EngineProvider;
  private readonly session: AgentSession;

  private replay: ReplaySource | undefined;
  private running: AbortController | undefined;
  private lastTrajectory: Trajectory | undefined;
  /** The run the next question follows up (after “Follow up”), until it is asked or “New conversation”. */
  private followUpOf: Trajectory | undefined;
  /** True while the page, not the visitor, has picked the engine (then it is not remembered). */
  private engineAutomatic = true;
  /** Settles once the page has checked for WebGPU and picked the engine; a question waits for it. */
  private engineDecided: Promise<void> = Promise.resolve();
  /** Why WebGPU cannot run here, once checked (undefined: it can, or not checked yet). */
  private webgpuProblem: string | undefined;

  constructor(private readonly deps: AppDeps) {
    this.engines = new EngineProvider(deps.spawnLlmWorker);
    this.session = new AgentSession({
      engines: this.engines,
      createExecutor: deps.createExecutor,
      fetchShard: fetchBytes,
      checkShard,
      packFor,
      progress: { model: this.modelBar, shard: this.shardBar, python: this.pythonBar },
    });
  }

  /** The shard in use when the settings say "stored" (picked from a file, or kept in this browser). */
  private get storedShard(): ActiveShard | undefined {
    return this.session.storedShard;
  }

  private set storedShard(shard: ActiveShard | undefined) {
    this.session.storedShard = shard;
  }

  start(): void {
    const models = byId("webllm-models", HTMLDataListElement);
    for (const id of this.deps.modelIds) {
      const option = document.createElement("option");
      option.value = id;
      models.append(option);
    }
    const localModel = byId("local-model", HTMLSelectElement);
    for (const model of localModels()) {
      const option = document.createElement("option");
      option.value = model.id;
      // Catalog labels carry the size, and "bundled" for a model that needs no download.
      option.textContent = model.bundled ? model.label : `${model.label}, downloaded once`;
      localModel.append(option);
    }
    this.writeValues(loadValues(this.deps.storage));
    this.engineAutomatic = !hasStoredEngine(this.deps.storage);
    this.showEngineFields();
    this.engineDecided = this.pickEngine();
    this.form.addEventListener("change", (event) => {
      if ((event.target as HTMLInputElement | null)?.name === "engine") {
        this.engineAutomatic = false;
        this.showEngineStatus();
      }
      this.showEngineFields();
      this.remember();
    });
    byId("ask-form", HTMLFormElement).addEventListener("submit", (event) => {
      event.preventDefault();
      void this.ask();
    });
    this.stopButton.addEventListener("click", () => this.running?.abort());
    byId("load-model", HTMLButtonElement).addEventListener("click", () => void this.loadModel());
    byId("load-local-model", HTMLButtonElement).addEventListener("click", () => void this.loadModel());
    byId("shard-file", HTMLInputElement).addEventListener("change", (event) => {
      const input = event.target as HTMLInputElement;
      const file = input.files?.[0];
      if (file) void this.pickShard(file).finally(() => (input.value = ""));
    });
    byId("replay-file", HTMLInputElement).addEventListener("change", (event) => {
      const file = (event.target as HTMLInputElement).files?.[0];
      if (file) void this.pickReplay(file);
    });
    this.forgetShardButton.addEventListener("click", () => void this.forgetShard());
    // A shard built in a worker from a picked dump (shard-build-view.ts) is used like a picked shard file.
    new ShardBuildView({
      input: byId("dump-file", HTMLInputElement),
      stop: byId("stop-build", HTMLButtonElement),
      bar: this.shardBar,
      store: this.deps.shardStore,
      onBuilt: (shard, note) => {
        this.storedShard = shard;
        this.setRadio("shardSource", "stored");
        this.forgetShardButton.hidden = false;
        this.shardStatus.textContent = `Shard in use: ${shard.label} (${shard.passages} passages)${note}.`;
      },
      showError: (message) => this.showError(message),
      clearError: () => this.clearError(),
      inUse: () => this.storedShard?.label,
    }).start();
    this.saveButton.addEventListener("click", () => this.saveTrajectory());
    this.followUpButton.addEventListener("click", () => this.startFollowUp());
    byId("new-conversation", HTMLButtonElement).addEventListener("click", () => this.endFollowUp());
    // Python starts in the background on load (after the stored shard, which it may need), so the
    // first question does not wait for it; its progress bar shows how far it is.
    void this.openStoredShard().then(() => this.warmUpPython());
    // Ctrl/Cmd+Enter in the question box asks, as in chat apps (Enter alone is a new line).
    this.question.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        byId("ask-form", HTMLFormElement).requestSubmit();
      }
    });
    // A reload during a run keeps its question: the history marks that run interrupted and hands it back.
    void this.history.start().then((question) => {
      if (question && !this.question.value) this.question.value = question;
    });
  }

  private async warmUpPython(): Promise<void> {
    let settings: RunSettings;
    try {
      settings = parseSettings(this.readValues());
    } catch {
      return; // The settings are shown as wrong when the visitor asks.
    }
    // A failure is on the Python progress bar; asking retries the start.
    await this.session.warmUp(settings).catch(() => {});
  }

  /** Runs the agent on the question with the current settings. */
  async ask(): Promise<Trajectory | undefined> {
    if (this.running) return undefined;
    await this.engineDecided;
    // Sent as typed: the reference does not trim questions, and students saw them untrimmed.
    const question = this.question.value;
    if (!question.trim()) {
      this.showError("Type a question first.");
      this.question.focus();
      return undefined;
    }
    const settings = this.settingsOrShowError();
    if (!settings) return undefined;
    if (!(await this.confirmDownload(settings.engine))) return undefined;
    this.clearError();
    // The last run's trajectory is not offered while another run, or a refused one, has the page.
    this.saveButton.hidden = true;
    this.followUpButton.hidden = true;
    const followUpOf = this.followUpOf;
    const controller = new AbortController();
    this.running = controller;
    this.setBusy(true);
    try {
      const trajectory = await this.history.record(question, this.readValues(), () =>
        this.session.run(question, settings, {
          replay: this.replay,
          signal: controller.signal,
          onEvent: this.trace.handle,
          ...(followUpOf ? { followUpOf } : {}),
        }),
      );
      // An answer carries the conversation on (“Follow up” continues from it); a failed or stopped
      // follow-up keeps its place, so asking again continues the same conversation.
      if (trajectory.status === "answered" || trajectory.status === "fallback") this.endFollowUp();
      this.offerSave(trajectory);
      if (trajectory.status === "failed")
        this.showError(`The run failed: ${trajectory.error ?? "unknown error"}`);
      return trajectory;
    } catch (error) {
      this.showError(controller.signal.aborted ? "Stopped before the run began." : describe(error));
      return undefined;
    } finally {
      this.running = undefined;
      this.setBusy(false);
    }
  }

  /** Replays a run from the history: its recorded completions, labelled as a replay like any other. */
  private async replayPast(trajectory: Trajectory, name: string): Promise<void> {
    if (this.running) return;
    this.replay = { trajectory, name };
    this.replayStatus.textContent = describeReplay(this.replay);
    this.question.value = trajectory.question;
    this.setRadio("engine", "replay");
    this.showEngineFields();
    await this.ask();
  }

  private async loadModel(): Promise<void> {
    await this.engineDecided;
    const settings = this.settingsOrShowError();
    if (!settings) return;
    if (!isLocal(settings.engine)) {
      this.showError("“Load model” is for the web-llm and CPU engines; pick one in the settings first.");
      return;
    }
    if (!(await this.confirmDownload(settings.engine))) return;
    this.clearError();
    try {
      const engine = await this.engines.get(settings.engine, {
        onModelProgress: (p) => this.modelBar.update(p.fraction, p.text || "Loading the model…"),
      });
      this.modelBar.done(`${engine.info.label} is loaded.`);
    } catch (error) {
      this.modelBar.fail("The model did not load.");
      this.showError(describe(error));
    }
  }

  private async pickShard(file: File): Promise<void> {
    this.clearError();
    try {
      const bytes = await readBlob(file, (loaded, total) =>
        this.shardBar.update(
          total ? loaded / total : undefined,
          `Reading ${file.name}: ${formatBytes(loaded)}`,
        ),
      );
      const info = await checkShard(bytes, file.name, (checked, total) =>
        this.shardBar.update(checked / total, `Checking ${file.name}: block ${checked} of ${total}`),
      );
      this.storedShard = {
        key: `file:${file.name}:${file.size}:${file.lastModified}`,
        label: file.name,
        blob: file,
        passages: info.passages,
      };
      this.setRadio("shardSource", "stored");
      this.shardBar.update(undefined, `Keeping ${file.name} in this browser…`);
      let kept = "";
      try {
        await this.deps.shardStore.save(bytes, file.name, info);
        kept = "; kept in this browser for the next visit";
        this.forgetShardButton.hidden = false;
      } catch (error) {
        kept = `; not kept for the next visit (${describe(error)})`;
      }
      this.shardBar.done(`${file.name}: ${info.passages} passages, ${formatBytes(bytes.byteLength)}${kept}.`);
      this.shardStatus.textContent = `Shard in use: ${file.name} (${info.passages} passages)${kept}.`;
    } catch (error) {
      this.shardBar.fail(`${file.name} was not loaded.`);
      this.showError(
        `${describe(error)}${this.storedShard ? ` The shard in use is still ${this.storedShard.label}.` : ""}`,
      );
    }
  }

  private async openStoredShard(): Promise<void> {
    try {
      const meta = await this.deps.shardStore.meta();
      if (!meta) return;
      const stored = await this.deps.shardStore.load((loaded, total) =>
        this.shardBar.update(
          total ? loaded / total : undefined,
          `Opening the stored shard ${meta.name}: ${formatBytes(loaded)}`,
        ),
      );
      if (!stored) return;
      const info = openShardInfo(stored.bytes, `the stored shard ${meta.name}`);
      this.storedShard = {
        key: `opfs:${meta.file}`,
        label: meta.name,
        blob: stored.file,
        passages: info.passages,
      };
      this.forgetShardButton.hidden = false;
      this.shardBar.done(`${meta.name}: ${info.passages} passages (stored in this browser).`);
      this.shardStatus.textContent = `Shard in use: ${meta.name} (${info.passages} passages, stored in this browser).`;
    } catch (error) {
      this.forgetShardButton.hidden = false;
      this.shardBar.fail("The stored shard could not be opened.");
      this.showError(`${describe(error)} Pick a shard file again, or forget the stored one.`);
    }
  }

  private async forgetShard(): Promise<void> {
    await this.deps.shardStore.forget();
    this.storedShard = undefined;
    this.forgetShardButton.hidden = true;
    this.shardBar.hide();
    this.shardStatus.textContent = "No shard loaded.";
  }

  private async pickReplay(file: File): Promise<void> {
    this.clearError();
    try {
      // The schema check (zod) loads with the first file, not with the page.
      const { parseTrajectory } = await import("../agent/trajectory.ts");
      const trajectory = parseTrajectory(await file.text());
      this.replay = { trajectory, name: file.name };
      this.replayStatus.textContent = describeReplay(this.replay);
      // The replay answers only its own question (replay-plan.ts), so that is the question now.
      this.question.value = trajectory.question;
      this.setRadio("engine", "replay");
      this.showEngineFields();
    } catch (error) {
      this.showError(`${file.name}: ${describe(error)}`);
    }
  }

  /**
   * Picks the engine by what the browser has, unless the visitor chose one before: web-llm when WebGPU
   * gives an adapter, else the CPU engine with the bundled micro model (no download).
   */
  private async pickEngine(): Promise<void> {
    try {
      // A GPU process that never answers must not leave Ask waiting: after a while, it counts as no GPU.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const silent = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the GPU did not answer within ${WEBGPU_CHECK_MS / 1000} s`)),
          WEBGPU_CHECK_MS,
        );
      });
      await Promise.race([checkWebGPU(), silent]).finally(() => clearTimeout(timer));
      this.webgpuProblem = undefined;
    } catch (error) {
      // checkWebGPU's message ends with advice for the web-llm engine; the status line only needs why.
      this.webgpuProblem = describe(error)
        .replace(/^WebGPU is not available in this browser: /, "")
        .replace(/; use a browser with WebGPU[\s\S]*$/, "");
    }
    if (this.engineAutomatic) {
      const field = this.form.elements.namedItem("engine") as RadioNodeList | null;
      if (field) field.value = this.webgpuProblem === undefined ? "webllm" : "wllama";
      this.showEngineFields();
    }
    this.showEngineStatus();
    // Not awaited: a question need not wait for the storage estimate.
    void this.showCapabilities();
  }

  /** What the browser offers (WebGPU, isolation, threads, storage), read once on load. */
  private async showCapabilities(): Promise<void> {
    const storage = await navigator.storage?.estimate?.().catch(() => undefined);
    this.capabilities.textContent = describeCapabilities({
      webgpuProblem: this.webgpuProblem,
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      threads: navigator.hardwareConcurrency || undefined,
      storage,
    });
    this.capabilities.dataset["ready"] = "true";
  }

  /** The header line that says which engine runs and why. */
  private showEngineStatus(): void {
    const values = this.readValues();
    const noGpu = this.webgpuProblem;
    const model = findLocalModel(values.localModel);
    const what: Record<EngineKind, string> = {
      webllm: "web-llm (WebGPU)",
      wllama: `the CPU engine (llama.cpp WebAssembly)${model ? ` with ${model.label}` : ""}`,
      openai: "an OpenAI-compatible server",
      replay: "a replay of a saved trajectory (no model)",
    };
    let text: string;
    if (!this.engineAutomatic) {
      text = `Engine: ${what[values.engine]}, as chosen in the settings.`;
      if (values.engine === "webllm" && noGpu)
        text += ` WebGPU is unavailable here: ${noGpu}. Pick the CPU engine.`;
    } else if (noGpu) {
      text = `WebGPU unavailable: ${noGpu}. Using ${what.wllama}.`;
    } else {
      text = `WebGPU available: using ${what.webllm}.`;
    }
    this.engineStatus.textContent = text;
    this.engineStatus.dataset["engine"] = values.engine;
    this.engineStatus.dataset["webgpu"] = String(noGpu === undefined);
  }

  /** Asks before a CPU-engine model download over 100 MB (it is kept in this browser afterwards). */
  private async confirmDownload(choice: EngineChoice): Promise<boolean> {
    if (choice.kind !== "wllama" || this.engines.isLoaded(choice)) return true;
    const model = findLocalModel(choice.modelId);
    if (!model || model.bundled || model.sizeBytes <= LARGE_DOWNLOAD_BYTES) return true;
    // A model this browser keeps already needs no asking; a part a broken download left is resumed.
    const { hubUrl, keptModel, opfsModelDirectory } = await import("../llm/wllama/model-download.ts");
    const fileName = findCatalogModel(model.id)?.fileName;
    const kept = fileName
      ? await opfsModelDirectory()
          .then((dir) => keptModel(dir, fileName))
          .catch(() => ({ stored: false, partBytes: 0 }))
      : { stored: false, partBytes: 0 };
    if (kept.stored) return true;
    const host = new URL(hubUrl(model.url, import.meta.env["VITE_HF_ENDPOINT"])).host;
    const rest = kept.partBytes
      ? ` (${formatBytes(kept.partBytes)} of it is here already, from a download that broke off)`
      : "";
    return globalThis.confirm(
      `${model.label} is a ${formatBytes(model.sizeBytes)} download from ${host}${rest} (once: this browser keeps it). Download it now?`,
    );
  }

  private remember(): void {
    saveValues(this.deps.storage, this.readValues(), { engineIsAutomatic: this.engineAutomatic });
  }

  private settingsOrShowError(): RunSettings | undefined {
    const values = this.readValues();
    this.remember();
    try {
      return parseSettings(values);
    } catch (error) {
      const settings = byId("settings", HTMLDetailsElement);
      settings.open = true;
      if (error instanceof SettingsError) {
        const field = this.form.elements.namedItem(error.field);
        if (field instanceof HTMLElement) field.focus();
      }
      this.showError(`Settings: ${describe(error)}`);
      return undefined;
    }
  }

  private readValues(): SettingsValues {
    const values = { ...DEFAULT_VALUES };
    for (const key of Object.keys(DEFAULT_VALUES) as (keyof SettingsValues)[]) {
      const field = this.form.elements.namedItem(key) as HTMLInputElement | RadioNodeList | null;
      if (field) (values as Record<string, string>)[key] = field.value;
    }
    return values;
  }

  private writeValues(values: SettingsValues): void {
    for (const [key, value] of Object.entries(values)) {
      const field = this.form.elements.namedItem(key) as HTMLInputElement | RadioNodeList | null;
      if (field) field.value = value;
    }
  }

  private setRadio(name: "engine" | "shardSource", value: string): void {
    const field = this.form.elements.namedItem(name) as RadioNodeList | null;
    if (field) field.value = value;
    if (name === "engine") {
      this.engineAutomatic = false;
      this.showEngineStatus();
    }
    this.remember();
  }

  private showEngineFields(): void {
    const engine = (this.form.elements.namedItem("engine") as RadioNodeList).value as EngineKind;
    for (const el of this.form.querySelectorAll<HTMLElement>(".engine-fields")) {
      el.hidden = el.dataset["engine"] !== engine;
    }
  }

  private setBusy(busy: boolean): void {
    this.askButton.disabled = busy;
    this.stopButton.disabled = !busy;
    document.body.dataset["busy"] = String(busy);
  }

  private offerSave(trajectory: Trajectory): void {
    this.lastTrajectory = trajectory;
    this.saveButton.hidden = false;
    // A replay has no model to ask anything else.
    this.followUpButton.hidden =
      trajectory.engine.isReplay || (trajectory.status !== "answered" && trajectory.status !== "fallback");
  }

  /** The next question continues the last run's conversation: the agent sees its questions, steps and answers. */
  private startFollowUp(): void {
    const earlier = this.lastTrajectory;
    if (!earlier || this.running) return;
    this.followUpOf = earlier;
    const turns = (earlier.thread?.turns.length ?? 0) + 1;
    byId("follow-up-text", HTMLSpanElement).textContent =
      `Follow-up to “${earlier.question}”${turns > 1 ? ` (a conversation of ${turns} questions)` : ""}: the agent sees what was asked and found.`;
    this.followUpNote.hidden = false;
    this.followUpButton.hidden = true;
    this.question.value = "";
    this.question.focus();
  }

  private endFollowUp(): void {
    this.followUpOf = undefined;
    this.followUpNote.hidden = true;
  }

  /** Downloads the last run as trajectory JSON (the replay format). */
  private saveTrajectory(): void {
    if (!this.lastTrajectory) return;
    const url = URL.createObjectURL(
      new Blob([`${JSON.stringify(this.lastTrajectory, null, 2)}\n`], { type: "application/json" }),
    );
    const link = document.createElement("a");
    link.href = url;
    link.download = "trajectory.json";
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  private showError(message: string): void {
    this.errorBox.textContent = message;
    this.errorBox.hidden = false;
  }

  private clearError(): void {
    this.errorBox.hidden = true;
    this.errorBox.textContent = "";
  }
}

const LARGE_DOWNLOAD_BYTES = 100 * 1024 * 1024;
/** How long the page waits for WebGPU's adapter before it picks the CPU engine. */
const WEBGPU_CHECK_MS = 5000;

/** The prompt pack a run uses: the CPU engine's model may bring its own (the micro-student does). */
function packFor(choice: EngineChoice): PromptPack {
  if (choice.kind !== "wllama") return DEFAULT_PACK;
  const model = findLocalModel(choice.modelId);
  if (!model?.packYaml) return DEFAULT_PACK;
  return loadPromptPack(model.packYaml, model.packName ?? model.id, DEFAULT_PACK);
}

function progressBar(id: string): ProgressBar {
  const root = byId(id, HTMLDivElement);
  const bar = root.querySelector("progress");
  const label = root.querySelector(".progress-label");
  if (!(bar instanceof HTMLProgressElement) || !(label instanceof HTMLElement)) {
    throw new Error(`index.html: #${id} needs a <progress> and a .progress-label`);
  }
  return new ProgressBar(root, bar, label);
}

function describe(error: unknown): string {
  if (error instanceof ShardError || error instanceof SettingsError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
