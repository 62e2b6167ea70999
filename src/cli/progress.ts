/**
 * One progress line on stderr for long work (downloads, shard builds, evaluations).
 * On a terminal it redraws in place; otherwise it prints a line at most every few seconds so logs stay short.
 */

import type { DownloadProgress } from "../download/node/download-file.ts";
import { formatBytes } from "../util/format-bytes.ts";
import { cliIo, type OutputStream } from "./io.ts";

export interface Progress {
  update(done: number, detail?: string): void;
  done(summary?: string): void;
}

export interface ProgressOptions {
  total?: number;
  stream?: OutputStream;
  /** Minimum milliseconds between two non-TTY lines. */
  intervalMs?: number;
  /** How a count is written, e.g. as bytes; plain numbers by default. */
  formatCount?: (count: number) => string;
}

export function createProgress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? cliIo().stderr;
  const tty = Boolean(stream.isTTY);
  const interval = options.intervalMs ?? (tty ? 100 : 5000);
  const started = Date.now();
  let last = 0;
  let total = options.total;
  const format = options.formatCount ?? String;

  const render = (done: number, detail?: string): string => {
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const pct = total ? ` ${((100 * done) / total).toFixed(1)}%` : "";
    const count = total ? `${format(done)}/${format(total)}` : format(done);
    return `${label}: ${count}${pct} ${secs}s${detail ? ` ${detail}` : ""}`;
  };

  return {
    update(done, detail) {
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      if (tty) stream.write(`\r\x1b[2K${render(done, detail)}`);
      else stream.write(`${render(done, detail)}\n`);
    },
    done(summary) {
      const line = summary ? `${label}: ${summary} (${((Date.now() - started) / 1000).toFixed(1)}s)` : "";
      if (tty) stream.write(`\r\x1b[2K${line}${line ? "\n" : ""}`);
      else if (line) stream.write(`${line}\n`);
      total = undefined;
    },
  };
}

/** The progress line of a download: sized once the server tells the total, counts shown as bytes. */
export function createDownloadProgress(label: string): {
  onProgress: (progress: DownloadProgress) => void;
  done: (summary?: string) => void;
} {
  let line: Progress | undefined;
  return {
    onProgress({ receivedBytes, totalBytes, resumedFromBytes }) {
      line ??= createProgress(label, { total: totalBytes, formatCount: formatBytes });
      line.update(
        receivedBytes,
        resumedFromBytes ? `(resumed at ${formatBytes(resumedFromBytes)})` : undefined,
      );
    },
    done(summary) {
      line?.done(summary);
    },
  };
}
