/** The `pocket-agent` executable: runs the command line of this process (see run.ts). */
import { run } from "./run.ts";

const code = await run(process.argv.slice(2));
// A failure exits at once (a half-started executor or model must not keep the process alive); success
// lets pending output drain and the process end by itself, as before.
if (code !== 0) process.exit(code);
