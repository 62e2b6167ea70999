/**
 * The local Pyodide package folder (public/py-packages/, built by scripts/build-py-packages.sh):
 * one zip per pure-Python package, its top level holding the package folder, and manifest.json.
 */
export interface PackageEntry {
  /** Zip file name inside the folder. */
  file: string;
  version: string;
  /** Packages to load first. */
  requires: string[];
  /** Set when the zip carries byte-compiled files, e.g. "cpython-314" (they only help that Python). */
  pyc?: string;
}

export interface PackageManifest {
  packages: Record<string, PackageEntry>;
}

export const PACKAGE_MANIFEST_FILE = "manifest.json";

/** What the package folder is: usable, never built (no manifest), or broken (and why). */
export type PackageFolder =
  | { state: "ready"; manifest: PackageManifest }
  | { state: "not-built" }
  | { state: "broken"; reason: string };

/**
 * A package folder that exists but cannot be used: its manifest does not parse, or it lists a zip that is
 * missing. Told apart from a folder that was never built (whose packages are simply "not available"), so
 * the model and the user read what to fix.
 */
export class BrokenPackagesError extends Error {
  override name = "BrokenPackagesError";
  constructor(reason: string) {
    super(`the package folder is broken: ${reason}; rebuild it with npm run py-packages`);
  }
}

/** Checks the manifest's text; throws saying what is wrong. */
export function parsePackageManifest(text: string): PackageManifest {
  let parsed: Partial<PackageManifest>;
  try {
    parsed = JSON.parse(text) as Partial<PackageManifest>;
  } catch (err) {
    throw new Error(
      `${PACKAGE_MANIFEST_FILE} does not parse (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  if (!parsed || typeof parsed.packages !== "object" || parsed.packages === null) {
    throw new Error(`${PACKAGE_MANIFEST_FILE}: expected {"packages": {...}}`);
  }
  for (const [name, entry] of Object.entries(parsed.packages)) {
    if (typeof entry?.file !== "string" || !Array.isArray(entry.requires)) {
      throw new Error(`${PACKAGE_MANIFEST_FILE}: package ${name} needs "file" and "requires"`);
    }
  }
  return parsed as PackageManifest;
}

/** Reads and checks the manifest; null when it cannot be read (e.g. the packages were not built). */
export async function readPackageManifest(
  read: (file: string) => Promise<Uint8Array | string>,
): Promise<PackageManifest | null> {
  let raw: Uint8Array | string;
  try {
    raw = await read(PACKAGE_MANIFEST_FILE);
  } catch {
    return null;
  }
  return parsePackageManifest(typeof raw === "string" ? raw : new TextDecoder().decode(raw));
}

/**
 * The folder's state. `read` gives a file's content, or null when the file does not exist (a folder that
 * was never built has no manifest.json); any other failure of `read`, a manifest that does not parse or
 * has the wrong shape, or (when `exists` is given) a listed zip that `exists` does not find, make the
 * folder broken, with the reason.
 */
export async function inspectPackageFolder(
  read: (file: string) => Promise<Uint8Array | string | null>,
  exists?: (file: string) => Promise<boolean>,
): Promise<PackageFolder> {
  let manifest: PackageManifest;
  try {
    const raw = await read(PACKAGE_MANIFEST_FILE);
    if (raw === null) return { state: "not-built" };
    manifest = parsePackageManifest(typeof raw === "string" ? raw : new TextDecoder().decode(raw));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      state: "broken",
      reason: why.startsWith(PACKAGE_MANIFEST_FILE)
        ? why
        : `${PACKAGE_MANIFEST_FILE} cannot be read (${why})`,
    };
  }
  if (exists) {
    const files = Object.values(manifest.packages).map((entry) => entry.file);
    const found = await Promise.all(files.map((file) => exists(file).catch(() => false)));
    const missing = files.filter((_, i) => !found[i]);
    if (missing.length) {
      return {
        state: "broken",
        reason: `${PACKAGE_MANIFEST_FILE} lists ${missing.join(", ")}, missing from the folder`,
      };
    }
  }
  return { state: "ready", manifest };
}
