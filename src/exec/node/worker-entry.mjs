// Worker thread entry in plain JS: Node 20 does not apply `--import tsx` to a worker's own entry file,
// so this registers tsx inside the worker and then loads the TypeScript worker. Pyodide starts loading
// first, so compiling the TypeScript modules overlaps with instantiating the interpreter.
import { workerData } from "node:worker_threads";
import { loadPyodide } from "pyodide";
import { register } from "tsx/esm/api";

// Interpreter-level output is not the model's (the prelude captures prints); in a worker thread
// Pyodide's default writer would also hit an undefined fd.
const quiet = () => {};
globalThis.__pocketAgentPyodide = loadPyodide({
  indexURL: workerData.indexURL,
  stdout: quiet,
  stderr: quiet,
});
register();
await import("./worker.ts");
