/** Shared data the page's e2e tests read, through the one helper that knows where ../shared is. */
import { join } from "node:path";
import { SHARED } from "../support/shared.ts";

/** 2966 real Wikipedia passages from HotpotQA's dev set (the e2e test shard is built from them). */
export const HOTPOT_PASSAGES = join(SHARED, "data/wiki/hotpotqa_rpt_dev.jsonl");
