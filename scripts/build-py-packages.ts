/**
 * Second half of scripts/build-py-packages.sh: byte-compiles the package zips with Pyodide's own Python
 * (the .pyc format is tied to its version) so importing sympy in the browser or a worker takes ~2 s
 * instead of ~12 s. The .pyc files use unchecked hashes: unpacking does not keep file times, and the
 * sources never change after the build.
 * Usage: node bin/run-ts.js scripts/build-py-packages.ts OUT_DIR
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadPyodide } from "pyodide";
import { readPackageManifest } from "../src/exec/packages.ts";

const out = process.argv[2];
if (!out) {
  console.error("usage: build-py-packages.ts OUT_DIR");
  process.exit(2);
}
const manifest = await readPackageManifest((file) => readFile(join(out, file)));
if (!manifest) {
  console.error(`build-py-packages: no manifest.json in ${out}`);
  process.exit(1);
}
const pyodide = await loadPyodide({ stdout: () => {}, stderr: () => {} });
const site = pyodide.runPython(
  "import sys; next(p for p in sys.path if p.endswith('site-packages'))",
) as string;
const pythonTag = pyodide.runPython("import sys; sys.implementation.cache_tag") as string;
const names = Object.keys(manifest.packages);
for (const name of names) {
  const entry = manifest.packages[name]!;
  pyodide.unpackArchive(new Uint8Array(await readFile(join(out, entry.file))), "zip", { extractDir: site });
}
for (const name of names) {
  const started = performance.now();
  const zipped = `/tmp/${name}.zip`;
  pyodide.globals.set("package_dir", `${site}/${name}`);
  pyodide.globals.set("zip_path", zipped);
  pyodide.globals.set("site_dir", site);
  pyodide.runPython(`
import compileall, os, py_compile, zipfile
ok = compileall.compile_dir(package_dir, quiet=2, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
if not ok:
    raise SystemExit(f"byte-compiling {package_dir} failed")
with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in os.walk(package_dir):
        dirs.sort()
        for file in sorted(files):
            path = os.path.join(root, file)
            z.write(path, os.path.relpath(path, site_dir))
`);
  const bytes = pyodide.FS.readFile(zipped) as Uint8Array;
  const entry = manifest.packages[name]!;
  await writeFile(join(out, entry.file), bytes);
  manifest.packages[name] = { ...entry, pyc: pythonTag };
  console.log(
    `build-py-packages: byte-compiled ${name} (${Math.round(bytes.length / 1024)} KiB, ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
}
await writeFile(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
