/**
 * A local HTTP file server for download tests: serves in-memory files with Range requests, ETags and
 * If-Range as real download hosts do, records every request, and can be told to break a response
 * part-way through (to test resuming) or to ignore ranges.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ServedFile {
  body: Uint8Array;
  etag?: string;
}

export interface FileServerOptions {
  /** Break the connection after this many body bytes, for the next `cutTimes` responses (default 1). */
  cutAfterBytes?: number;
  cutTimes?: number;
  /**
   * When to break the connection after the cut's bytes went out (default: 20 ms later). A browser test
   * waits until the page has taken those bytes: Chromium drops what it has not handed to the page yet
   * when the connection breaks.
   */
  cutWhen?: () => Promise<void>;
  /** Answer every request with the whole file (200), as some servers do. */
  ignoreRange?: boolean;
  /**
   * Let any web page download from it, as Hugging Face does: CORS headers, and the preflight a browser
   * sends before a request with If-Range (Range alone is a safelisted header).
   */
  cors?: boolean;
}

export interface FileServerRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface FileServer {
  url: string;
  requests: FileServerRequest[];
  files: Map<string, ServedFile>;
  options: FileServerOptions;
  close(): Promise<void>;
}

export async function startFileServer(
  files: Record<string, ServedFile>,
  options: FileServerOptions = {},
): Promise<FileServer> {
  const served = new Map(Object.entries(files));
  const requests: FileServerRequest[] = [];

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    requests.push({ method: req.method ?? "GET", path, headers: req.headers });
    const cors: Record<string, string> = options.cors
      ? {
          "access-control-allow-origin": "*",
          "access-control-expose-headers": "etag, content-range, content-length, accept-ranges",
        }
      : {};
    if (options.cors && req.method === "OPTIONS") {
      res
        .writeHead(204, {
          ...cors,
          "access-control-allow-methods": "GET, HEAD",
          "access-control-allow-headers": "range, if-range",
        })
        .end();
      return;
    }
    const file = served.get(path);
    if (!file) {
      res.writeHead(404, "Not Found", cors).end();
      return;
    }
    const size = file.body.byteLength;
    const headers: Record<string, string> = { ...cors, "accept-ranges": "bytes" };
    if (file.etag) headers["etag"] = file.etag;

    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const ifRange = req.headers["if-range"];
    const rangeApplies = range && !options.ignoreRange && (!ifRange || ifRange === file.etag);
    if (rangeApplies) {
      start = Number(range[1]);
      if (start >= size) {
        res.writeHead(416, { ...cors, "content-range": `bytes */${size}` }).end();
        return;
      }
      res.writeHead(206, {
        ...headers,
        "content-length": String(size - start),
        "content-range": `bytes ${start}-${size - 1}/${size}`,
      });
    } else {
      res.writeHead(200, { ...headers, "content-length": String(size) });
    }

    const body = file.body.subarray(start);
    // Options are read per request, so a test can arm a cut (or ranges) after the server started.
    if (options.cutAfterBytes !== undefined && (options.cutTimes ?? 1) > 0) {
      options.cutTimes = (options.cutTimes ?? 1) - 1;
      // Send part of the body, then drop the socket: the client sees a connection that broke.
      const cutWhen = options.cutWhen ?? (() => new Promise<void>((resolve) => setTimeout(resolve, 20)));
      res.write(body.subarray(0, options.cutAfterBytes), () => void cutWhen().then(() => res.destroy()));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    files: served,
    options,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
