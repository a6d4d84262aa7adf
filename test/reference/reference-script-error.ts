import { TunebookError, type TunebookErrorOptions } from "../../sdk/errors";

/**
 * A reference script (`make_tiny_checkpoint.py` or `hf_reference.py`) exited with an error.
 *
 * @example
 * ```ts
 * try { await torchReference({ model: "/no/such/dir", inputIds: [[1]] }); }
 * catch (e) { if (e instanceof ReferenceScriptError) console.log(e.exitCode, e.stderr); }
 * ```
 */
export class ReferenceScriptError extends TunebookError {
  /** The script that failed. */
  readonly script: string;
  /** The arguments it was given. */
  readonly args: readonly string[];
  /** Its exit code (null when killed by a signal). */
  readonly exitCode: number | null;
  /** The end of its standard error. */
  readonly stderr: string;

  /**
   * @param script - path of the Python script
   * @param args - its command-line arguments
   * @param exitCode - exit status, or null when killed
   * @param stderr - its standard error output
   * @param options - optional `cause`
   */
  constructor(
    script: string,
    args: string[],
    exitCode: number | null,
    stderr: string,
    options: TunebookErrorOptions = {},
  ) {
    const tail = stderr.trim().split("\n").slice(-6).join("\n");
    super(
      `Expected ${script} to succeed, but it exited with ${exitCode} (args: ${args.join(" ")}):\n${tail}\n` +
        "Fix the options (see the script's --help) or the checkpoint it was pointed at.",
      options,
    );
    this.name = "TunebookReferenceScriptError";
    this.script = script;
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}
