/**
 * The page's side of package loading for the browser worker (which has no network): answers the worker's
 * requests from the same-origin package folder first, and from the online index only when configured.
 */
import { BrokenPackagesError, inspectPackageFolder, type PackageFolder } from "../packages.ts";

export type LoadPackage = (name: string) => Promise<{ zip: Uint8Array; requires: string[] } | null>;

const PACKAGE_CACHE = "pocket-agent-py-packages";

/**
 * The package folder's state as the page sees it over HTTP. A 404, or an HTML page where the manifest
 * should be (a server's single-page-app fallback answers every missing file with index.html), means the
 * packages were not built; any other failure, or a manifest that does not parse, means the folder is broken.
 */
export function inspectPackagesURL(
  packagesURL: string,
  fetchFile: typeof fetch = fetch,
): Promise<PackageFolder> {
  return inspectPackageFolder(async (file) => {
    const response = await fetchFile(new URL(file, packagesURL));
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    if (response.headers.get("Content-Type")?.includes("text/html")) return null;
    return new Uint8Array(await response.arrayBuffer());
  });
}

/**
 * Answers the worker's package requests: null when a package is not available (the folder was not built,
 * or does not list it, and no online index has it); a BrokenPackagesError when the folder is broken (its
 * manifest, or a zip it lists that cannot be fetched), so the model and the user read why.
 */
export function packageLoader(
  pyodideURL: string,
  packagesURL: string,
  packageIndexURL: string | undefined,
  fetchFile: typeof fetch = fetch,
): LoadPackage {
  const get = async (url: string | URL): Promise<Response> => {
    const response = await fetchFile(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response;
  };
  const folder = inspectPackagesURL(packagesURL, fetchFile);
  const lock = packageIndexURL
    ? get(new URL("pyodide-lock.json", pyodideURL))
        .then(
          (r) => r.json() as Promise<{ packages: Record<string, { file_name: string; depends: string[] }> }>,
        )
        .catch(() => null)
    : Promise.resolve(null);
  return async (name) => {
    const local = await folder;
    if (local.state === "broken") throw new BrokenPackagesError(local.reason);
    const packages = local.state === "ready" ? local.manifest.packages : undefined;
    const entry = packages && Object.hasOwn(packages, name) ? packages[name] : undefined;
    if (entry) {
      try {
        const response = await get(new URL(entry.file, packagesURL));
        return { zip: new Uint8Array(await response.arrayBuffer()), requires: entry.requires };
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new BrokenPackagesError(`manifest.json lists ${entry.file}, which cannot be fetched (${why})`);
      }
    }
    const locked = (await lock)?.packages;
    const wheel = locked && Object.hasOwn(locked, name) ? locked[name] : undefined;
    if (!wheel || !packageIndexURL) return null;
    const url = new URL(wheel.file_name, packageIndexURL).href;
    const cache =
      typeof caches === "undefined" ? undefined : await caches.open(PACKAGE_CACHE).catch(() => undefined);
    let response = await cache?.match(url);
    if (!response) {
      response = await fetchFile(url).catch(() => undefined);
      if (!response?.ok) return null;
      await cache?.put(url, response.clone()).catch(() => undefined);
    }
    // A wheel is a zip whose top level holds the package folder, like ours.
    return { zip: new Uint8Array(await response.arrayBuffer()), requires: wheel.depends };
  };
}
