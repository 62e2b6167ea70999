/**
 * "Build from a Wikipedia dump…": the picked file goes to the shard build worker
 * (workers/shard-build.worker.ts, over comlink), which streams it into a shard in OPFS with progress;
 * the page then checks the shard it wrote, makes it the stored shard (ShardStore.adopt) and hands it to
 * the app, which uses it like a picked shard file. Stop cancels the build (the worker removes what it
 * wrote); an unreadable, corrupt or unknown file is refused with the worker's reason in the error box.
 */
import { proxy, type Remote, wrap } from "comlink";
import { opfsScratchNames } from "../retrieval/browser/opfs-shard-files.ts";
import type {
  BuildProgress,
  BuildRequest,
  BuiltShard,
  ShardBuildService,
} from "../retrieval/browser/shard-build-service.ts";
import { describeIndexProgress } from "../retrieval/index-progress.ts";
import type { ActiveShard, ProgressSink } from "./agent-session.ts";
import { formatBytes } from "./progress-bar.ts";
import { checkShard, newShardFileName, readBlob, SHARD_FOLDER, type ShardStore } from "./shard-store.ts";

export interface ShardBuildViewOptions {
  /** The file input for the dump. */
  input: HTMLInputElement;
  /** Stops a build; shown only while one runs. */
  stop: HTMLButtonElement;
  bar: ProgressSink;
  store: ShardStore;
  /** The built shard, checked and stored: the app makes it the shard in use. */
  onBuilt(shard: ActiveShard, note: string): void;
  showError(message: string): void;
  clearError(): void;
  /** The name of the shard in use now, if any (an error says it stays in use). */
  inUse(): string | undefined;
  spawnWorker?: () => Worker;
}

export function spawnShardBuildWorker(): Worker {
  return new Worker(new URL("../../workers/shard-build.worker.ts", import.meta.url), {
    type: "module",
    name: "pocket-agent-shard-build",
  });
}

interface Building {
  api: Remote<ShardBuildService>;
  /** Ends the worker and fails the build as stopped. */
  kill(): void;
  killTimer?: ReturnType<typeof setTimeout>;
}

export class ShardBuildView {
  private building: Building | undefined;

  constructor(private readonly options: ShardBuildViewOptions) {}

  start(): void {
    const { input, stop } = this.options;
    // Files of builds the page was closed during, which nothing refers to.
    void this.options.store.sweep().catch(() => {});
    input.addEventListener("change", () => {
      const file = input.files?.[0];
      if (file) void this.build(file).finally(() => (input.value = ""));
    });
    stop.addEventListener("click", () => this.stop());
  }

  /** Builds a shard from the file and makes it the shard in use; resolves when done or refused. */
  async build(file: File): Promise<void> {
    if (this.building) return;
    const { bar, store, input, stop } = this.options;
    this.options.clearError();
    const worker = (this.options.spawnWorker ?? spawnShardBuildWorker)();
    const api = wrap<ShardBuildService>(worker);
    let kill = () => {};
    const killed = new Promise<never>((_, reject) => {
      kill = () => {
        worker.terminate();
        const error = new Error("the build worker was ended");
        error.name = "BuildCancelled";
        reject(error);
      };
    });
    const building: Building = { api, kill };
    this.building = building;
    input.disabled = true;
    stop.hidden = false;
    const outFile = newShardFileName();
    const label = `shard built from ${file.name}`;
    bar.update(0, `Building a shard from ${file.name}…`);
    try {
      const request: BuildRequest = { file, name: file.name, outFile, folder: SHARD_FOLDER };
      const built = await Promise.race([
        api.build(
          request,
          proxy((p: BuildProgress) => bar.update(fractionOf(p), describeProgress(file.name, p))),
        ),
        workerFailure(worker),
        killed,
      ]);
      if (built.passages === 0) throw new Error(`${file.name} holds no article text to index`);
      const shardFile = await store.file(outFile);
      const bytes = await readBlob(shardFile, () => {});
      const info = await checkShard(bytes, label, (checked, total) =>
        bar.update(checked / total, `Checking the built shard: block ${checked} of ${total}`),
      );
      await store.adopt(outFile, label, { bytes: bytes.byteLength, passages: info.passages });
      const note = "; kept in this browser for the next visit";
      this.options.onBuilt({ key: `opfs:${outFile}`, label, blob: shardFile, passages: info.passages }, note);
      bar.done(`${label}: ${describeBuilt(built)}${note}.`);
    } catch (error) {
      // The worker removes its files on a failure or a stop; these are for a worker that was ended.
      for (const name of [outFile, ...opfsScratchNames(outFile)]) await store.discard(name).catch(() => {});
      const inUse = this.options.inUse();
      const still = inUse ? ` The shard in use is still ${inUse}.` : "";
      if (isCancel(error)) {
        bar.fail(`Stopped building a shard from ${file.name}; nothing was kept.`);
      } else {
        bar.fail(`No shard was built from ${file.name}.`);
        this.options.showError(`No shard was built from ${file.name}: ${reason(error, file.name)}.${still}`);
      }
    } finally {
      clearTimeout(building.killTimer);
      this.building = undefined;
      worker.terminate();
      input.disabled = false;
      stop.hidden = true;
    }
  }

  /**
   * Asks the worker to stop; a build that has not ended 5 s later (busy writing the index, which it
   * does in one go) is ended with its worker.
   */
  stop(): void {
    const building = this.building;
    if (!building || building.killTimer) return;
    building.killTimer = setTimeout(() => building.kill(), 5000);
    void building.api.cancel().catch(() => {});
  }
}

/** Rejects when the worker itself fails (its script did not load, or it crashed). */
function workerFailure(worker: Worker): Promise<never> {
  return new Promise((_, reject) => {
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      reject(new Error(`the build worker failed (${event.message || "it did not start"})`));
    });
  });
}

/**
 * The bar's fill: bytes read of the file, then how far the write of the index is (none while the terms
 * are sorted, which gives no count: the bar is then indeterminate).
 */
export function fractionOf(p: BuildProgress): number | undefined {
  if (p.phase === "indexing") return p.index && p.index.stage !== "sorting" ? p.index.fraction : undefined;
  if (p.phase !== "reading" || !p.totalBytes) return undefined;
  return p.bytesRead / p.totalBytes;
}

export function describeProgress(name: string, p: BuildProgress): string {
  const passages = `${p.passages.toLocaleString("en")} passages`;
  if (p.phase === "indexing") {
    const stage = p.index ? `, ${describeIndexProgress(p.index)}` : "";
    return `Building a shard from ${name}: writing the index of ${passages}${stage}…`;
  }
  if (p.phase === "done") return `Built a shard from ${name}: ${passages}.`;
  const pages = p.pages ? `${p.pages.toLocaleString("en")} pages, ` : "";
  return `Building a shard from ${name}: ${formatBytes(p.bytesRead)} of ${formatBytes(p.totalBytes)} read, ${pages}${passages}`;
}

function describeBuilt(built: BuiltShard): string {
  const pages = built.pages ? ` from ${built.pages.toLocaleString("en")} pages` : "";
  return `${built.passages.toLocaleString("en")} passages${pages}, ${formatBytes(built.bytes)}, built in ${built.seconds.toFixed(1)} s`;
}

function isCancel(error: unknown): boolean {
  return error instanceof Error && error.name === "BuildCancelled";
}

/** The error's message, without the file name the reader puts first (the sentence names it already). */
function reason(error: unknown, name: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message).replace(/\.$/, "");
}
