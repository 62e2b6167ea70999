/**
 * Follows one completion's text as tokens are decoded: cuts it at the first stop sequence (text-level,
 * as servers do) and says which new part is safe to stream. Text that may still turn into a stop
 * sequence, and a character whose UTF-8 bytes have not all arrived (decoded as U+FFFD until then), are
 * held back, so the streamed pieces always add up to the final text.
 */
import { cutAtStop } from "../stop.ts";

const REPLACEMENT = "\uFFFD";

export class CompletionText {
  /** The completion so far, cut before the first stop sequence. */
  text = "";
  /** True once a stop sequence appeared: generation should end. */
  stopped = false;
  private shown = 0;

  constructor(private readonly stops: readonly string[] = []) {}

  /** Takes everything decoded so far and returns the new part that can be shown now ("" if none). */
  update(decoded: string): string {
    if (this.stopped) return "";
    const cut = cutAtStop(decoded, this.stops);
    this.stopped = cut.length < decoded.length;
    this.text = cut;
    if (this.stopped) return this.take(cut.length);
    let safe = cut.length - stopPrefixAtEnd(cut, this.stops);
    while (safe > this.shown && cut[safe - 1] === REPLACEMENT) safe--;
    return this.take(safe);
  }

  /** The part not shown yet, once generation has ended. */
  finish(): string {
    return this.take(this.text.length);
  }

  private take(end: number): string {
    if (end <= this.shown) return "";
    const piece = this.text.slice(this.shown, end);
    this.shown = end;
    return piece;
  }
}

/** Length of the longest end of `text` that is the start of some stop sequence (could still complete it). */
export function stopPrefixAtEnd(text: string, stops: readonly string[]): number {
  let longest = 0;
  for (const stop of stops) {
    for (let k = Math.min(stop.length - 1, text.length); k > longest; k--) {
      if (text.endsWith(stop.slice(0, k))) {
        longest = k;
        break;
      }
    }
  }
  return longest;
}
