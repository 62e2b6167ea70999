/**
 * Once per e2e run, before any e2e file: the production build the page's tests serve (each file previews
 * its own hard-linked copy of it, so a file that adds a file to its site changes no other file's), and the
 * test shard they search. Building them once instead of in every file is most of what a file used to
 * spend before its first test.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { buildApp, buildShard } from "./app-build.ts";
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
  const [appBuild, testShard] = await Promise.all([
    buildApp(join(work, "app")),
    buildShard(join(work, "shard"), HOTPOT_PASSAGES),
  ]);
  project.provide("appBuild", appBuild);
  project.provide("testShard", testShard);
  return () => rm(work, { recursive: true, force: true });
}
