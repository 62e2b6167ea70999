/** `pocket-agent pack reference --out FILE`: the reference's prompt pack, built from its own files. */
import { rename, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import {
  buildReferencePack,
  fetchReferenceSources,
  REFERENCE_SOURCE,
} from "../../agent/packs/reference-pack.ts";
import { cliIo } from "../io.ts";
import { createProgress } from "../progress.ts";

export function registerPack(program: Command): void {
  const pack = program.command("pack").description("Prompt packs.");
  pack
    .command("reference")
    .description(
      `Build the reference's prompt pack (for released agent-distilled students) from ${REFERENCE_SOURCE.repository} at commit ${REFERENCE_SOURCE.commit.slice(0, 7)}: its templates, task suffix, retry hint and tool documentation, downloaded and checked by SHA-256.`,
    )
    .requiredOption("--out <file>", "pack file to write (YAML), then use it with --prompt-pack")
    .option(
      "--source-url <url>",
      "a copy of the repository at that commit to read instead (files are checked all the same)",
    )
    .action(async (opts: { out: string; sourceUrl?: string }) => {
      const baseURL = opts.sourceUrl
        ? opts.sourceUrl.endsWith("/")
          ? opts.sourceUrl
          : `${opts.sourceUrl}/`
        : REFERENCE_SOURCE.baseURL;
      const progress = createProgress("pack reference", { total: 4, intervalMs: 0 });
      const files = await fetchReferenceSources(
        { ...REFERENCE_SOURCE, baseURL },
        { onFile: (path, index) => progress.update(index, path) },
      );
      progress.done("4 files checked");
      // Written beside the target and renamed, so a failure never leaves half a pack.
      const temporary = `${opts.out}.partial`;
      await writeFile(temporary, buildReferencePack(files));
      await rename(temporary, opts.out);
      cliIo().stdout.write(`${opts.out}: the reference pack; use it with --prompt-pack ${opts.out}\n`);
    });
}
