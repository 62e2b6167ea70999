/**
 * The `pocket-agent` command line as a function: `run(argv, io)` parses the arguments, runs the command
 * and returns its exit code. Failures print one line on stderr and give 1; bin/ only calls this.
 */
import { Command, CommanderError } from "commander";
import { registerAsk } from "./commands/ask.ts";
import { registerEval } from "./commands/eval.ts";
import { registerModels } from "./commands/models.ts";
import { registerPack } from "./commands/pack.ts";
import { registerShard } from "./commands/shard.ts";
import { registerSft, registerTeach } from "./commands/teach.ts";
import { type CliIo, processIo, withCliIo } from "./io.ts";

/** A fresh program per run: commander keeps parsed options on its command objects. */
function createProgram(io: CliIo): Command {
  const program = new Command("pocket-agent")
    .description("A small code agent that runs on your own machine.")
    .showHelpAfterError()
    .exitOverride()
    // Set before the sub-commands are added, which inherit it.
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  registerAsk(program);
  registerEval(program);
  registerShard(program);
  registerTeach(program);
  registerSft(program);
  registerPack(program);
  registerModels(program);
  return program;
}

/** Runs one command line (`argv` without the node and script paths) and returns the exit code. */
export async function run(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = { ...processIo(), ...io };
  return withCliIo(full, async () => {
    try {
      await createProgram(full).parseAsync([...argv], { from: "user" });
      return 0;
    } catch (error) {
      if (error instanceof CommanderError) return error.exitCode;
      const message = error instanceof Error ? error.message : String(error);
      full.stderr.write(`pocket-agent: ${message.split("\n")[0]}\n`);
      return 1;
    }
  });
}
