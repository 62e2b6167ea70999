/**
 * The shard build worker: builds a shard from a picked dump or passages file into OPFS, off the page's
 * thread (FileSystemSyncAccessHandle needs a dedicated worker). It only exposes the service; the page
 * talks to it through src/ui/shard-build-view.ts.
 */
import { expose } from "comlink";
import { ShardBuildService } from "../src/retrieval/browser/shard-build-service.ts";

expose(new ShardBuildService());
