/**
 * Once per e2e run: the production build the page's tests serve (each file previews its own hard-linked
 * copy of it, so a file that adds a file to its site changes no other file's), and the test shard they
 * search. Building them once instead of in every file is most of what a file used to spend before its
 * first test; building them while the first files run saves the wait.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { SHARD_FILE_NAME } from "../../src/retrieval/shard-format.ts";
import { buildApp, buildShard, markBuilt } from "./app-build.ts";
import { HOTPOT_PASSAGES } from "./test-data.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A folder holding `dist/`, the production build of the page. */
    appBuild: string;
    /** The shard file built by the CLI from the shared HotpotQA passages. */
    testShard: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const work = await mkdtemp(join(tmpdir(), "pocket-agent-e2e-"));
  const app = join(work, "app");
  // Started, not awaited: the test files start at once (those that need neither build, the unit and
  // integration files, go on), and buildAndPreview waits for the marker written here (whenBuilt).
  const built = Promise.all([buildApp(app), buildShard(join(work, "shard"), HOTPOT_PASSAGES)]).then(
    () => markBuilt(app),
    (error: unknown) => markBuilt(app, error),
  );
  project.provide("appBuild", app);
  project.provide("testShard", join(work, "shard", SHARD_FILE_NAME));
  return async () => {
    await built;
    await rm(work, { recursive: true, force: true });
  };
}
