/**
 * The models pocket-agent knows by name: `--model micro` in the CLI, the model list of the page.
 * Plain data, free of DOM and Node, so the CLI, the page and embedders read the same list.
 *
 * Anything else runs too: a GGUF named by path (`--model-file`) or by URL (`--model-url`).
 */

export interface CatalogModel {
  /** What users type: `--model <id>`. */
  id: string;
  label: string;
  /** One line on what the model is for, shown in `models list` and the page's picker. */
  description: string;
  /** File name in the model cache (and in the package, for a bundled model). */
  fileName: string;
  /** Where the GGUF is downloaded from; absent for a model shipped inside the package. */
  url?: string;
  /** Path of a bundled GGUF, relative to the package root; such a model needs no download. */
  bundledPath?: string;
  /**
   * Download size in bytes. Exact where `sha256` is pinned; otherwise the size the hub lists, used for
   * display and the free-space check only (the server's Content-Length is what the download trusts).
   */
  sizeBytes: number;
  /**
   * Hex SHA-256 of the file. Absent where it could not be pinned (this project is built on a machine
   * without access to the model hub): the cache then records the digest of the first download, and
   * `models list` shows it.
   */
  sha256?: string;
  /**
   * The prompt pack the model was trained with, relative to the package root; absent means the built-in
   * pack (the reference layout released agent-distilled students expect).
   */
  packPath?: string;
  /** Context window the model is run with when the user does not choose one. */
  contextSize?: number;
}

export const MODEL_CATALOG: readonly CatalogModel[] = [
  {
    id: "micro",
    label: "micro-arith (2.0 MiB, bundled)",
    description:
      "pocket-agent's micro-student, distilled here on arithmetic questions: a test and demo model, not a general agent",
    fileName: "micro-arith.gguf",
    bundledPath: "models/micro/micro-arith.gguf",
    sizeBytes: 2_050_560,
    sha256: "05c5215f188e861bef00a5f01ccfbd36b934ae7d47956a52e7a41551d27f19aa",
    packPath: "models/micro/pack.yaml",
    contextSize: 2048,
  },
  {
    id: "qwen2.5-0.5b-instruct",
    label: "Qwen2.5 0.5B Instruct, Q4_K_M (~470 MiB)",
    description:
      "the base model of the smallest agent-distilled students; not distilled itself, so expect weak agent steps",
    fileName: "qwen2.5-0.5b-instruct-q4_k_m.gguf",
    url: "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf",
    sizeBytes: 491_400_032,
    contextSize: 8192,
  },
  {
    id: "qwen2.5-1.5b-instruct",
    label: "Qwen2.5 1.5B Instruct, Q4_K_M (~1.0 GiB)",
    description: "the base model of the 1.5B agent-distilled students; not distilled itself",
    fileName: "qwen2.5-1.5b-instruct-q4_k_m.gguf",
    url: "https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/qwen2.5-1.5b-instruct-q4_k_m.gguf",
    sizeBytes: 1_117_320_736,
    contextSize: 8192,
  },
];

export function findCatalogModel(id: string): CatalogModel | undefined {
  return MODEL_CATALOG.find((model) => model.id === id);
}
