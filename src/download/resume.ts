/**
 * What a download that resumes must decide from the server's reply, in one place for the Node
 * downloader (node/download-file.ts) and the page's model download (llm/wllama/model-download.ts).
 * DOM- and Node-free.
 */

/** `bytes 100-199/1000` → start 100, total 1000 (total absent for `*`). */
export function parseContentRange(header: string | null): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header?.trim() ?? "");
  if (!match) return undefined;
  return { start: Number(match[1]), ...(match[2] === "*" ? {} : { total: Number(match[2]) }) };
}

/** The reply to a request sent with `Range: bytes=<start>-` (when start > 0), read as what to do next. */
export type ResumeReply =
  /** Nothing after the offset: the part already holds the whole file (it was cut before being moved in place). */
  | { kind: "complete"; total: number }
  /** The rest of the file from `start`: append it. */
  | { kind: "resume"; total?: number }
  /** A whole body (the server ignored the range, or the file changed upstream: If-Range): start from 0. */
  | { kind: "restart"; total?: number }
  /** A partial body at another offset than asked for. */
  | { kind: "wrong-offset" }
  | { kind: "error"; status: number; statusText: string };

export function readResumeReply(
  response: {
    status: number;
    ok: boolean;
    statusText: string;
    headers: { get(name: string): string | null };
  },
  start: number,
): ResumeReply {
  if (response.status === 416 && start > 0) return { kind: "complete", total: start };
  if (response.status === 206 && start > 0) {
    const range = parseContentRange(response.headers.get("content-range"));
    return range?.start === start ? { kind: "resume", total: range.total } : { kind: "wrong-offset" };
  }
  if (response.ok) {
    const length = Number(response.headers.get("content-length"));
    return { kind: "restart", total: Number.isFinite(length) && length > 0 ? length : undefined };
  }
  return { kind: "error", status: response.status, statusText: response.statusText };
}

/** A catalog URL with the Hugging Face host replaced by a mirror (`HF_ENDPOINT`), when one is set. */
export function hubUrl(url: string, endpoint: string | undefined): string {
  const hub = "https://huggingface.co";
  const mirror = endpoint?.trim().replace(/\/+$/, "");
  return mirror && url.startsWith(`${hub}/`) ? mirror + url.slice(hub.length) : url;
}
