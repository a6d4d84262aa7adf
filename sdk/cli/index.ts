/** The `tunebook` command line: program, command registry, terminal progress. */
export { CommandNotAvailableError } from "./command-not-available-error";
export { resolveTrainConfig } from "./commands/train";
export { createProgram, type ProgramOptions } from "./program";
export { createProgressRenderer, formatDuration, formatStepLine, type ProgressOptions } from "./progress";
export {
  type CliHandlers,
  cliHandlers,
  registerHandlers,
  requireHandler,
  type TrainCommandInput,
} from "./registry";
export { type CliIo, EXIT, reportError } from "./run-action";
