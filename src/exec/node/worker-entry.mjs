// Worker thread entry in plain JS: Node 20 does not apply `--import tsx` to a worker's own entry file,
// so this registers tsx inside the worker and then loads the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
