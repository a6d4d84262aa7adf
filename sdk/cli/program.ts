/** The `tunebook` command-line program (commander), built from its command files. */
import { Command } from "commander";
import { tunebookVersion } from "../util";
import { registerExperimentsCommand } from "./commands/experiments";
import { registerKernelCommand, registerModelCommands } from "./commands/pending";
import { registerPushCommand } from "./commands/push";
import { registerSearchCommand } from "./commands/search";
import { registerTrainCommand } from "./commands/train";
import { registerWorkerCommand } from "./commands/worker";
import { type CliHandlers, cliHandlers } from "./registry";
import { type CliIo, processIo } from "./run-action";

/** Options of {@link createProgram}. */
export interface ProgramOptions {
  /** SDK functions behind the commands (default: the binary's registry). */
  handlers?: CliHandlers;
  /** Output streams (default: the process's). */
  io?: CliIo;
}

/**
 * Builds the `tunebook` program; call `parseAsync(argv)` on it.
 * @param options - handlers and streams
 * @returns the commander program
 * @example
 * ```ts
 * await createProgram().parseAsync(["node", "tunebook", "experiments", "list"]);
 * ```
 */
export function createProgram(options: ProgramOptions = {}): Command {
  const handlers = options.handlers ?? cliHandlers;
  const io = options.io ?? processIo;
  const program = new Command("tunebook")
    .description("Fine-tune small language models on onnxruntime-node")
    .version(tunebookVersion())
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  registerTrainCommand(program, handlers, io);
  registerSearchCommand(program, handlers, io);
  registerWorkerCommand(program, handlers, io);
  registerModelCommands(program, handlers, io);
  registerPushCommand(program, handlers, io);
  registerKernelCommand(program, handlers, io);
  registerExperimentsCommand(program, io);
  return program;
}
