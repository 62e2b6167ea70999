/**
 * The models the page's CPU engine offers, from the shared catalog (src/llm/catalog.ts), with the files
 * the page needs as Vite asset URLs: wllama's WebAssembly build and the bundled micro-student (its GGUF
 * and its prompt pack). Vite copies them into the build with content hashes and the service worker
 * precaches them, so the micro model answers offline after the first visit.
 */
import wllamaWasmUrl from "@wllama/wllama/esm/wasm/wllama.wasm?url";
import microGgufUrl from "../../models/micro/micro-arith.gguf?url";
import microPackYaml from "../../models/micro/pack.yaml?raw";
import { type CatalogModel, MODEL_CATALOG } from "../llm/catalog.ts";

export { microGgufUrl, microPackYaml, wllamaWasmUrl };

/** Bundled files the page carries, by their catalog path (relative to the package root). */
const BUNDLED_FILES: Readonly<Record<string, string>> = {
  "models/micro/micro-arith.gguf": microGgufUrl,
};
const BUNDLED_PACKS: Readonly<Record<string, string>> = {
  "models/micro/pack.yaml": microPackYaml,
};

export interface LocalModel {
  id: string;
  /** Short name for traces: the GGUF's file name without its extension. */
  name: string;
  label: string;
  description: string;
  /** Where the page reads the GGUF: its own asset for a bundled model, else the catalog's download URL. */
  url: string;
  bundled: boolean;
  sizeBytes: number;
  /** The model's own prompt pack (YAML), when it has one; else the page's default pack. */
  packYaml?: string;
  packName?: string;
  contextSize?: number;
}

/** Catalog models the page can run: bundled ones it carries, and those with a download URL. */
export function localModels(catalog: readonly CatalogModel[] = MODEL_CATALOG): LocalModel[] {
  const models: LocalModel[] = [];
  for (const entry of catalog) {
    const bundledUrl = entry.bundledPath ? BUNDLED_FILES[entry.bundledPath] : undefined;
    const url = bundledUrl ?? entry.url;
    if (!url) continue;
    const packYaml = entry.packPath ? BUNDLED_PACKS[entry.packPath] : undefined;
    models.push({
      id: entry.id,
      name: entry.fileName.replace(/\.gguf$/i, ""),
      label: entry.label,
      description: entry.description,
      url,
      bundled: Boolean(bundledUrl),
      sizeBytes: entry.sizeBytes,
      ...(packYaml ? { packYaml, packName: entry.packPath } : {}),
      ...(entry.contextSize ? { contextSize: entry.contextSize } : {}),
    });
  }
  return models;
}

export function findLocalModel(id: string): LocalModel | undefined {
  return localModels().find((model) => model.id === id);
}
