/** The page's CPU-engine model list, made from the shared catalog and the files the page carries. */
import { describe, expect, it } from "vitest";
import { MODEL_CATALOG } from "../../src/llm/catalog.ts";
import { localModels } from "../../src/ui/local-models.ts";

describe("localModels", () => {
  it("offers the bundled micro-student from the page's own asset, with its pack, and catalog GGUFs by URL", () => {
    const models = localModels();
    const micro = models.find((m) => m.id === "micro")!;
    expect(micro).toMatchObject({ name: "micro-arith", bundled: true, packName: "models/micro/pack.yaml" });
    expect(micro.url).toMatch(/micro-arith.*\.gguf$/);
    expect(micro.packYaml).toContain("system_prompt_short");
    for (const entry of MODEL_CATALOG.filter((e) => e.url)) {
      expect(models.find((m) => m.id === entry.id)).toMatchObject({ url: entry.url, bundled: false });
    }
  });

  it("leaves out a bundled model whose file the page does not carry", () => {
    const models = localModels([
      {
        id: "elsewhere",
        label: "not in the page",
        description: "",
        fileName: "x.gguf",
        bundledPath: "models/x/x.gguf",
        sizeBytes: 1,
      },
    ]);
    expect(models).toEqual([]);
  });
});
