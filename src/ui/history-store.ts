/**
 * The page's past runs, kept in IndexedDB (through `idb`, a thin promise wrapper) so they survive a
 * reload: the question, the settings it ran with (never the API key) and, once the run ends, its
 * trajectory. A run is written when it starts, so a reload in the middle of it still has its question:
 * the next page load finds it "running", marks it "interrupted" and offers the question again. The newest
 * HISTORY_LIMIT runs are kept.
 */
import { type DBSchema, type IDBPDatabase, openDB } from "idb";
import type { Trajectory } from "../agent/trajectory.ts";
import type { SettingsValues } from "./settings.ts";

/** The settings a run used, as the form had them; the API key is not stored. */
export type SavedSettings = Omit<SettingsValues, "openaiApiKey">;

export interface RunRecord {
  id: number;
  question: string;
  startedAt: string;
  settings: SavedSettings;
  /** "running" until the run ends; a page that went away mid-run leaves it to be marked "interrupted". */
  state: "running" | "finished" | "interrupted";
  trajectory?: Trajectory;
}

interface HistoryDb extends DBSchema {
  runs: { key: number; value: RunRecord };
}

const DB_NAME = "pocket-agent-history";
const STORE = "runs";
/** Runs kept; past this the oldest go, so the history cannot fill the browser's storage over months. */
export const HISTORY_LIMIT = 200;

export class RunHistory {
  private db: Promise<IDBPDatabase<HistoryDb>> | undefined;

  constructor(
    private readonly dbName = DB_NAME,
    private readonly limit = HISTORY_LIMIT,
  ) {}

  private open(): Promise<IDBPDatabase<HistoryDb>> {
    this.db ??= openDB<HistoryDb>(this.dbName, 1, {
      upgrade(db) {
        db.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      },
    });
    return this.db;
  }

  /** Records a run that starts now; returns its id. */
  async begin(question: string, settings: SettingsValues): Promise<number> {
    const { openaiApiKey: _secret, ...kept } = settings;
    const record: Omit<RunRecord, "id"> = {
      question,
      startedAt: new Date().toISOString(),
      settings: kept,
      state: "running",
    };
    const db = await this.open();
    // The store assigns the id (autoIncrement); idb's types want the key field, which it fills in.
    const id = await db.add(STORE, record as RunRecord);
    // Ids grow, so the smallest are the oldest runs; the one just added is the largest.
    const keys = await db.getAllKeys(STORE);
    for (const old of keys.slice(0, Math.max(0, keys.length - this.limit))) await db.delete(STORE, old);
    return id;
  }

  async finish(id: number, trajectory: Trajectory): Promise<void> {
    const db = await this.open();
    const record = await db.get(STORE, id);
    if (record) await db.put(STORE, { ...record, state: "finished", trajectory });
  }

  async get(id: number): Promise<RunRecord | undefined> {
    return (await this.open()).get(STORE, id);
  }

  /** Newest first. */
  async list(): Promise<RunRecord[]> {
    return (await (await this.open()).getAll(STORE)).reverse();
  }

  async delete(id: number): Promise<void> {
    await (await this.open()).delete(STORE, id);
  }

  /**
   * Marks the runs a previous page left "running" as interrupted (call once, when the page loads, before
   * any run starts) and returns the newest of them.
   */
  async markInterrupted(): Promise<RunRecord | undefined> {
    const db = await this.open();
    let newest: RunRecord | undefined;
    for (const record of await db.getAll(STORE)) {
      if (record.state !== "running") continue;
      const interrupted = { ...record, state: "interrupted" as const };
      await db.put(STORE, interrupted);
      if (!newest || record.id > newest.id) newest = interrupted;
    }
    return newest;
  }
}
