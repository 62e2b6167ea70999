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

/** Reads and checks the manifest; null when the folder has none (the packages were not built). */
export async function readPackageManifest(
  read: (file: string) => Promise<Uint8Array | string>,
): Promise<PackageManifest | null> {
  let raw: Uint8Array | string;
  try {
    raw = await read(PACKAGE_MANIFEST_FILE);
  } catch {
    return null;
  }
  const text = typeof raw === "string" ? raw : new TextDecoder().decode(raw);
  const parsed = JSON.parse(text) as Partial<PackageManifest>;
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
