import { TunebookError, type TunebookErrorOptions } from "../errors";

/**
 * A CLI command exists but the SDK function behind it has not been connected yet (exit code 2).
 *
 * @example
 * ```ts
 * throw new CommandNotAvailableError("serve");
 * ```
 */
export class CommandNotAvailableError extends TunebookError {
  /** The command, e.g. `serve` or `kernel install`. */
  readonly command: string;

  constructor(command: string, options: TunebookErrorOptions = {}) {
    super(
      `\`tunebook ${command}\` is not available yet in this version: its SDK function is not connected. ` +
        "Use the SDK from a notebook or script instead, or update tunebook.",
      options,
    );
    this.name = "TunebookCommandNotAvailableError";
    this.command = command;
  }
}
