/** The `pocket-agent` command line: one file per sub-command under commands/. */
import { Command, CommanderError } from "commander";
import { registerAsk } from "./commands/ask.ts";
import { registerEval } from "./commands/eval.ts";
import { registerModels } from "./commands/models.ts";
import { registerPack } from "./commands/pack.ts";
import { registerShard } from "./commands/shard.ts";
import { registerSft, registerTeach } from "./commands/teach.ts";

const program = new Command("pocket-agent")
  .description("A small code agent that runs on your own machine.")
  .showHelpAfterError()
  .exitOverride();

registerAsk(program);
registerEval(program);
registerShard(program);
registerTeach(program);
registerSft(program);
registerPack(program);
registerModels(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`pocket-agent: ${message.split("\n")[0]}\n`);
  process.exit(1);
}
