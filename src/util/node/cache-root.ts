/**
 * The folder pocket-agent caches in (models, Pyodide snapshots): `$POCKET_AGENT_CACHE`, else
 * `$XDG_CACHE_HOME/pocket-agent`, else `~/.cache/pocket-agent`.
 */
import { homedir } from "node:os";
import { join } from "node:path";

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env["POCKET_AGENT_CACHE"]) return env["POCKET_AGENT_CACHE"];
  const xdg = env["XDG_CACHE_HOME"];
  return join(xdg?.startsWith("/") ? xdg : join(homedir(), ".cache"), "pocket-agent");
}
