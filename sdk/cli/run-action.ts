/** Error handling shared by every command: a short message and an exit code, never a stack trace by default. */
import { ConfigError, TunebookError } from "../errors";
import { CommandNotAvailableError } from "./command-not-available-error";

/** Exit codes of the `tunebook` command. */
export const EXIT = { ok: 0, error: 1, notAvailable: 2 } as const;

/** Where a command writes. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The process's own streams. */
export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/**
 * Maps an error to its exit code and prints its message (stack only with `TUNEBOOK_DEBUG=1`).
 * @param error - what the action threw
 * @param io - where to print
 * @returns the exit code: 2 for a command not available yet, 1 otherwise
 * @example
 * ```ts
 * process.exitCode = reportError(e, processIo);
 * ```
 */
export function reportError(error: unknown, io: CliIo): number {
  const debug = process.env.TUNEBOOK_DEBUG === "1";
  if (error instanceof CommandNotAvailableError) {
    io.err(`error: ${error.message}\n`);
    return EXIT.notAvailable;
  }
  if (error instanceof ConfigError || TunebookError.isInstance(error)) {
    io.err(`error: ${(error as Error).message}\n`);
  } else {
    io.err(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (!debug) io.err("(set TUNEBOOK_DEBUG=1 for the stack trace)\n");
  }
  if (debug && error instanceof Error && error.stack) io.err(`${error.stack}\n`);
  return EXIT.error;
}

/**
 * Wraps a command action so that its errors become a message and an exit code.
 * @param io - where errors are printed
 * @param action - the command's body
 * @returns a commander action
 * @example
 * ```ts
 * program.command("x").action(runAction(processIo, async () => { … }));
 * ```
 */
export function runAction<A extends unknown[]>(io: CliIo, action: (...args: A) => Promise<void>) {
  return async (...args: A): Promise<void> => {
    try {
      await action(...args);
    } catch (error) {
      process.exitCode = reportError(error, io);
    }
  };
}
