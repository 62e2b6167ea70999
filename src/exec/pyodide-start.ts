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

export async function startPyodide<P extends { makeMemorySnapshot(): Uint8Array }>(
  load: (snapshotOptions: SnapshotOptions) => Promise<P>,
  plan: SnapshotPlan | undefined,
): Promise<{ pyodide: P; started: PythonStart; made?: Uint8Array }> {
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
