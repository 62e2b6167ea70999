/**
 * How both Python workers start Pyodide (src/exec/README.md, "Start-up"): from a memory snapshot when they
 * have one, falling back to the slow start when it does not restore, or the slow start making one. No DOM
 * and no Node imports: each worker passes its own `loadPyodide` call.
 */

/** How a worker's interpreter started: from a snapshot, or the slow way (having made one, or refused one). */
export type PythonStart = "restored" | "made" | "plain" | "snapshot refused";

/** What to do about a snapshot: restore these bytes (read lazily), or make one. */
export type SnapshotPlan = { restore: () => Promise<Uint8Array> } | { make: true };

/** The options of `loadPyodide` this module sets. */
interface SnapshotOptions {
  _loadSnapshot?: Uint8Array;
  _makeSnapshot?: boolean;
}

const WASM_PAGE_BYTES = 65_536;

/**
 * Caps every wasm memory of this worker at `limitBytes`. Emscripten grows Pyodide's heap only through
 * `WebAssembly.Memory.prototype.grow` and takes a throw as "no memory": malloc fails and Python raises
 * MemoryError at the cap instead of at wasm's own 4 GB, so a memory bomb costs the machine a bounded
 * amount and ends sooner. A resource guard, not a boundary: code that escaped Python could allocate in
 * JavaScript instead (the worker's own limits cover that). Call once, before Pyodide loads.
 */
export function capWasmMemory(limitBytes: number): void {
  const proto = WebAssembly.Memory.prototype;
  const grow = proto.grow;
  // Taken now: escaped code may replace Reflect.apply or the buffer getter later.
  const { apply } = Reflect;
  const bufferOf = Object.getOwnPropertyDescriptor(proto, "buffer")?.get;
  if (!bufferOf) throw new Error("WebAssembly.Memory has no buffer getter: cannot cap the Python heap");
  Object.defineProperty(proto, "grow", {
    value: function cappedGrow(this: WebAssembly.Memory, deltaPages: number): number {
      const bytes = (apply(bufferOf, this, []) as ArrayBufferLike).byteLength;
      if (bytes + deltaPages * WASM_PAGE_BYTES > limitBytes) {
        throw new RangeError(`the Python heap is capped at ${Math.round(limitBytes / 2 ** 20)} MB`);
      }
      return apply(grow, this, [deltaPages]) as number;
    },
    writable: false,
    configurable: false,
  });
}

export async function startPyodide<P extends { makeMemorySnapshot(): Uint8Array }>(
  load: (snapshotOptions: SnapshotOptions) => Promise<P>,
  plan: SnapshotPlan | undefined,
  memoryLimitBytes: number,
): Promise<{ pyodide: P; started: PythonStart; made?: Uint8Array }> {
  capWasmMemory(memoryLimitBytes);
  if (plan && "restore" in plan) {
    try {
      return { pyodide: await load({ _loadSnapshot: await plan.restore() }), started: "restored" };
    } catch {
      // A snapshot of another Pyodide build, or a damaged file: start the slow way, and say so.
      return { pyodide: await load({}), started: "snapshot refused" };
    }
  }
  if (plan && "make" in plan) {
    // Taken before anything else runs in this interpreter: the snapshot holds Pyodide's start-up only.
    const pyodide = await load({ _makeSnapshot: true });
    return { pyodide, started: "made", made: pyodide.makeMemorySnapshot() };
  }
  return { pyodide: await load({}), started: "plain" };
}
