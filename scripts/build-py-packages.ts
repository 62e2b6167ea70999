/**
 * Second half of scripts/build-py-packages.sh, run with Pyodide's own Python (no host Python needed):
 * copies each package folder out of the extracted Debian tree (tests left out), byte-compiles it for
 * Pyodide's Python version (.pyc with unchecked hashes: unpacking does not keep file times and the
 * sources never change after the build; importing sympy then takes ~2 s instead of ~12 s), zips it
 * with the package folder at the top level, and writes manifest.json.
 * Usage: node bin/run-ts.js scripts/build-py-packages.ts SRC_DIST_PACKAGES OUT_DIR NAME=VERSION[:REQ,REQ]...
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { loadPyodide } from "pyodide";
import type { PackageManifest } from "../src/exec/packages.ts";

const [srcArg, outArg, ...specs] = process.argv.slice(2);
if (!srcArg || !outArg || !specs.length) {
  console.error("usage: build-py-packages.ts SRC_DIST_PACKAGES OUT_DIR NAME=VERSION[:REQ,REQ]...");
  process.exit(2);
}
const src = resolve(srcArg);
const out = resolve(outArg);
await mkdir(out, { recursive: true });

const pyodide = await loadPyodide({ stdout: () => {}, stderr: () => {} });
pyodide.FS.mkdirTree("/host");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: src }, "/host");
const cacheTag = pyodide.runPython("import sys; sys.implementation.cache_tag") as string;
const manifest: PackageManifest = { packages: {} };

for (const spec of specs) {
  const match = /^([A-Za-z0-9_]+)=([^:]+):?(.*)$/.exec(spec);
  if (!match) throw new Error(`bad package spec ${spec} (want NAME=VERSION[:REQ,REQ])`);
  const [, name, version, requires] = match as unknown as [string, string, string, string];
  const started = performance.now();
  pyodide.globals.set("name", name);
  pyodide.runPython(`
import compileall, os, py_compile, shutil, zipfile
work = "/build/" + name
shutil.rmtree("/build", ignore_errors=True)
shutil.copytree("/host/" + name, work, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.pyc"))
if not compileall.compile_dir(work, quiet=2, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH):
    raise SystemExit("byte-compiling " + name + " failed")
with zipfile.ZipFile("/build.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in os.walk(work):
        dirs.sort()
        for file in sorted(files):
            path = os.path.join(root, file)
            z.write(path, os.path.relpath(path, "/build"))
`);
  const bytes = pyodide.FS.readFile("/build.zip") as Uint8Array;
  await writeFile(join(out, `${name}.zip`), bytes);
  manifest.packages[name] = {
    file: `${name}.zip`,
    version,
    requires: requires ? requires.split(",") : [],
    pyc: cacheTag,
  };
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `build-py-packages: ${out}/${name}.zip (${name} ${version}, ${Math.round(bytes.length / 1024)} KiB, ${seconds} s)`,
  );
}
await writeFile(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`build-py-packages: ${out}/manifest.json`);
