/** `pocket-agent models list|pull|rm`: the local GGUF models, bundled and cached. */
import type { Command } from "commander";
import { findCatalogModel, MODEL_CATALOG } from "../../llm/catalog.ts";
import {
  installedModels,
  modelCacheDir,
  pullCatalogModel,
  removeModel,
  urlModel,
} from "../../llm/node/model-store.ts";
import { formatBytes } from "../../util/format-bytes.ts";
import { cliIo } from "../io.ts";
import { createDownloadProgress } from "../progress.ts";

export function registerModels(program: Command): void {
  const models = program
    .command("models")
    .description(`Local GGUF models: the catalog, and what is in the cache (${modelCacheDir(cliIo().env)}).`);

  models
    .command("list")
    .description("the catalog (with what is already on disk) and any other downloaded model")
    .action(async () => {
      const installed = await installedModels(modelCacheDir(cliIo().env));
      const rows: string[][] = [["ID", "SIZE", "ON DISK", "DESCRIPTION"]];
      for (const entry of MODEL_CATALOG) {
        const local = installed.find((m) => m.name === entry.id);
        const where = local ? (local.bundled ? "bundled" : "cached") : "-";
        rows.push([entry.id, formatBytes(entry.sizeBytes), where, entry.description]);
      }
      for (const other of installed.filter((m) => !findCatalogModel(m.name))) {
        rows.push([other.name, formatBytes(other.bytes), "cached", other.record?.url ?? other.path]);
      }
      cliIo().stdout.write(table(rows));
    });

  models
    .command("pull")
    .description("download a catalog model (or a GGUF URL) into the cache, with resume and checksum")
    .argument("<id-or-url>", "a catalog id (pocket-agent models list) or an http(s) URL of a GGUF")
    .action(async (name: string) => {
      const progress = createDownloadProgress(`pull ${name}`);
      const { onProgress } = progress;
      const entry = findCatalogModel(name);
      const path = entry
        ? await pullCatalogModel(entry, { onProgress, env: cliIo().env })
        : /^https?:\/\//.test(name)
          ? (await urlModel(name, { onProgress, env: cliIo().env })).path
          : undefined;
      if (!path) {
        throw new Error(
          `unknown model "${name}": pocket-agent models list shows the catalog; a URL must start with http(s)://`,
        );
      }
      progress.done("done");
      cliIo().stdout.write(`${path}\n`);
    });

  models
    .command("rm")
    .description("delete a downloaded model (and any partial download of it) from the cache")
    .argument("<name>", "catalog id or file name, as `models list` shows it")
    .action(async (name: string) => {
      const path = await removeModel(name, modelCacheDir(cliIo().env));
      cliIo().stdout.write(`removed ${path}\n`);
    });
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  "),
    )
    .join("\n")
    .concat("\n");
}
