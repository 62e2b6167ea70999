/** One labelled <progress> bar: model download, shard loading, Python start-up. */
export class ProgressBar {
  constructor(
    private readonly root: HTMLElement,
    private readonly bar: HTMLProgressElement,
    private readonly label: HTMLElement,
  ) {}

  /** fraction in 0..1, or undefined for "busy, size unknown" (an indeterminate bar). */
  update(fraction: number | undefined, text: string): void {
    this.root.hidden = false;
    this.root.dataset["state"] = "busy";
    if (fraction === undefined || !Number.isFinite(fraction)) this.bar.removeAttribute("value");
    else this.bar.value = Math.min(1, Math.max(0, fraction));
    this.bar.max = 1;
    this.label.textContent = text;
  }

  done(text: string): void {
    this.root.hidden = false;
    this.root.dataset["state"] = "done";
    this.bar.max = 1;
    this.bar.value = 1;
    this.label.textContent = text;
  }

  fail(text: string): void {
    this.root.hidden = false;
    this.root.dataset["state"] = "failed";
    // An indeterminate bar (no value) keeps animating, which reads as "still working": give it a value
    // (where it stopped, or empty) so a failed bar stands still.
    if (!this.bar.hasAttribute("value")) this.bar.value = 0;
    this.label.textContent = text;
  }

  hide(): void {
    this.root.hidden = true;
  }
}

// One byte formatter for the page and the CLI.
export { formatBytes } from "../util/format-bytes.ts";
