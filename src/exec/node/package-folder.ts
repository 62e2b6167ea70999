/**
 * The Node side's look at the package folder, done by the host (which may read anything) before it starts
 * a sandbox: inside the sandbox the permission model answers "access denied" for a folder that does not
 * exist, so the sandbox itself could not tell a folder never built from a broken one.
 */
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { inspectPackageFolder, type PackageFolder } from "../packages.ts";

/** Not built (no manifest.json), ready, or broken (a manifest that does not parse or lists a missing zip). */
export function inspectPackageDir(dir: string): Promise<PackageFolder> {
  const path = (file: string) => join(dir, file);
  return inspectPackageFolder(
    (file) =>
      readFile(path(file)).catch((err: NodeJS.ErrnoException) => {
        // A folder that is missing, or holds no manifest: the packages were not built.
        if (err.code === "ENOENT" || err.code === "ENOTDIR") return null;
        throw err;
      }),
    (file) =>
      access(path(file)).then(
        () => true,
        () => false,
      ),
  );
}
