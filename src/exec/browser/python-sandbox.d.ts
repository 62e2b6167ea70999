/** The sandbox scripts as text, built by vite-sandbox.ts. */
declare module "virtual:python-sandbox" {
  /** The frame's script (IIFE), inlined into its srcdoc. */
  export const frameSource: string;
  /** CSP source expression for frameSource, e.g. "sha256-...". */
  export const frameScriptHash: string;
  /** The Python worker (classic worker, one self-contained script), started from a blob in the frame. */
  export const workerSource: string;
}
