/** The output folder of a run: records JSONL (appended, resumable) and the JSON report. */
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { finishedIds, parseRecords, recordLine } from "../record.ts";
import type { RunOutput } from "../run-benchmark.ts";

export type { RunOutput };

export async function openRunOutput(dir: string, recordsName: string): Promise<RunOutput> {
  await mkdir(dir, { recursive: true });
  const recordsPath = join(dir, recordsName);
  const reportPath = join(dir, "report.json");
  let existing = "";
  try {
    existing = await readFile(recordsPath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const { ids, validText } = finishedIds(existing, recordsPath);
  // Drop a last line cut short by an interrupted run; every complete line stays as it was.
  if (validText !== existing && existing.trim()) await writeFile(recordsPath, validText);
  return {
    recordsPath,
    reportPath,
    finished: ids,
    append: (record) => appendFile(recordsPath, recordLine(record)),
    readAll: async () => parseRecords(await readFile(recordsPath, "utf8").catch(() => ""), recordsPath),
    writeReport: (report) => writeFile(reportPath, `${JSON.stringify(report, null, 2)}\n`),
  };
}
