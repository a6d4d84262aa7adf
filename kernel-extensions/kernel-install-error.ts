import { TunebookError, type TunebookErrorOptions } from "../sdk/errors";

/**
 * Registering or listing Jupyter kernels failed: the Python/Jupyter command exited with an error or printed
 * something unexpected.
 *
 * @example
 * ```ts
 * throw new KernelInstallError({ command: "/usr/bin/python3 ...", exitCode: 1, stderr: "No module named jupyter_client" });
 * ```
 */
export class KernelInstallError extends TunebookError {
  /** The command that failed, as one line. */
  readonly command: string;
  /** Its exit code (`null` when it could not start or was killed). */
  readonly exitCode: number | null;
  /** The end of what it wrote to stderr. */
  readonly stderr: string;

  /**
   * @param details - the failed command, exit code, stderr, and an optional hint on how to fix it
   * @param options - `cause`
   */
  constructor(
    details: { command: string; exitCode: number | null; stderr: string; hint?: string },
    options: TunebookErrorOptions = {},
  ) {
    const hint =
      details.hint ??
      "Check that this Python has Jupyter (`python3 -c 'import jupyter_client'`), or pass `python` pointing at one that does " +
        "(on Debian: apt-get install jupyter-notebook, then python: '/usr/bin/python3').";
    super(
      `Expected \`${details.command}\` to succeed, but it exited with ${details.exitCode ?? "no exit code"}` +
        `${details.stderr ? `: ${details.stderr.trim().slice(-800)}` : ""}. ${hint}`,
      options,
    );
    this.name = "TunebookKernelInstallError";
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.stderr = details.stderr;
  }
}
