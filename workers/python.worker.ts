/** The browser's Python worker (the sandbox frame starts it; see src/exec/browser/python-worker.ts). */
import { servePythonWorker } from "../src/exec/browser/python-worker.ts";

servePythonWorker();
