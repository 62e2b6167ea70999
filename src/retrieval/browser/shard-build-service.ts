/**
 * What the page's shard build worker does (workers/shard-build.worker.ts exposes it over comlink): reads
 * a picked file as a stream (File.stream(); bzip2 undone, dumps parsed page by page, by the same reader
 * as the CLI), builds the shard with the same streaming builder, its scratch files and the shard in
 * OPFS (opfs-shard-files.ts), and reports progress: bytes read of the file, passages, phase, then how
 * far the write of the index is (its stage and fraction). Memory is the writer's run budget plus its
 * per-term and per-passage arrays, whatever the file's size. One build at a time; cancel() stops it
 * between two chunks and removes what it wrote. DOM-free.
 */
import type { IndexProgress } from "../index-progress.ts";
import { newInputReport, readPassages } from "../inputs/read-passages.ts";
import type { Passage } from "../search.ts";
import { type ShardFileOptions, writeShard } from "../shard-build.ts";
import { opfsShardFiles } from "./opfs-shard-files.ts";

export interface BuildRequest extends ShardFileOptions {
  /** The picked file (a File, or any Blob). */
  file: Blob;
  /** Its name, for progress and errors. */
  name: string;
  /** The shard's file name in `folder`. */
  outFile: string;
  /** The OPFS folder (under the root) the shard goes to. */
  folder: string;
  /** Stop after this many distinct passages. */
  maxPassages?: number;
}

export type BuildPhase = "reading" | "indexing" | "done";

export interface BuildProgress {
  phase: BuildPhase;
  /** Bytes of the file read so far (compressed bytes for a .bz2). */
  bytesRead: number;
  totalBytes: number;
  /** Passages added (distinct). */
  passages: number;
  duplicates: number;
  /** Pages met in a dump. */
  pages: number;
  /** Posting runs spilled so far. */
  runs: number;
  /** In the "indexing" phase, once the write of the index has begun: its stage and fraction. */
  index?: IndexProgress;
}

export interface BuiltShard {
  /** The shard's file name in the folder. */
  outFile: string;
  bytes: number;
  passages: number;
  terms: number;
  runs: number;
  read: number;
  duplicates: number;
  pages: number;
  compressed: boolean;
  format: string | undefined;
  seconds: number;
}

export class BuildCancelled extends Error {
  override name = "BuildCancelled";
  constructor() {
    super("the build was stopped");
  }
}

const PROGRESS_MS = 100;

export class ShardBuildService {
  private controller: AbortController | undefined;

  constructor(
    private readonly root: () => Promise<FileSystemDirectoryHandle> = () => navigator.storage.getDirectory(),
  ) {}

  async build(request: BuildRequest, onProgress: (progress: BuildProgress) => void): Promise<BuiltShard> {
    if (this.controller) throw new Error("a shard is being built already");
    const controller = new AbortController();
    this.controller = controller;
    try {
      return await this.run(request, controller.signal, onProgress);
    } finally {
      this.controller = undefined;
    }
  }

  /** Stops the build in progress (it rejects with BuildCancelled and leaves no file behind). */
  cancel(): void {
    this.controller?.abort();
  }

  private async run(
    request: BuildRequest,
    signal: AbortSignal,
    onProgress: (progress: BuildProgress) => void,
  ): Promise<BuiltShard> {
    const started = performance.now();
    const { file, name, outFile, folder, maxPassages, ...options } = request;
    const dir = await (await this.root()).getDirectoryHandle(folder, { create: true });
    const report = newInputReport(name);
    const progress: BuildProgress = {
      phase: "reading",
      bytesRead: 0,
      totalBytes: file.size,
      passages: 0,
      duplicates: 0,
      pages: 0,
      runs: 0,
    };
    let lastTick = 0;
    const tick = (force = false) => {
      const now = performance.now();
      if (!force && now - lastTick < PROGRESS_MS) return false;
      lastTick = now;
      progress.pages = report.pages;
      onProgress({ ...progress });
      return true;
    };
    let read = 0;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      const reader = file.stream().getReader();
      try {
        for (;;) {
          if (signal.aborted) throw new BuildCancelled();
          const { done, value } = await reader.read();
          if (done) return;
          progress.bytesRead += value.length;
          yield value;
        }
      } finally {
        await reader.cancel().catch(() => {});
      }
    }
    async function* passages(): AsyncGenerator<Passage> {
      for await (const passage of readPassages(chunks(), name, report)) {
        if (progress.passages >= (maxPassages ?? Number.POSITIVE_INFINITY)) return;
        read++;
        yield passage;
        // Between passages: let a cancel() message in now and then, even when no chunk is awaited.
        if (tick()) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (signal.aborted) throw new BuildCancelled();
        }
      }
    }
    tick(true);
    const files = await opfsShardFiles(dir, outFile);
    const written = await writeShard(passages(), files, options, {
      onAdd: (result, writer) => {
        if (result === "added") progress.passages++;
        else if (result === "duplicate") progress.duplicates++;
        progress.runs = writer.runCount;
      },
      onFinishing: (writer) => {
        progress.phase = "indexing";
        progress.runs = writer.runCount;
      },
      onIndexProgress: (index) => {
        progress.index = index;
        // Each stage's start is shown, the rest at most every PROGRESS_MS.
        tick(index.done === 0);
      },
    });
    progress.phase = "done";
    progress.index = undefined;
    tick(true);
    return {
      outFile,
      bytes: written.bytes,
      passages: written.passages,
      terms: written.terms,
      runs: written.runs,
      read,
      duplicates: progress.duplicates,
      pages: report.pages,
      compressed: report.compressed,
      format: report.format,
      seconds: (performance.now() - started) / 1000,
    };
  }
}
