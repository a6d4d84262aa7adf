import { TunebookError, type TunebookErrorOptions } from "../../sdk/errors";

/**
 * The PyTorch reference cannot run: the Python interpreter is missing or cannot import `torch`.
 *
 * @example
 * ```ts
 * try { await torchReference({ model: dir, inputIds: [[1, 2]] }); }
 * catch (e) { if (e instanceof ReferenceUnavailableError) console.log(e.python, e.reason); }
 * ```
 */
export class ReferenceUnavailableError extends TunebookError {
  /** The interpreter that was tried. */
  readonly python: string;
  /** What was missing, in words. */
  readonly reason: string;

  /**
   * @param python - path of the interpreter that was tried
   * @param reason - what was missing (e.g. "PyTorch is not importable")
   * @param options - optional `cause`
   */
  constructor(python: string, reason: string, options: TunebookErrorOptions = {}) {
    super(
      `The PyTorch reference needs a Python with torch and numpy; ${python} failed: ${reason}. ` +
        "Install Debian's python3-torch and python3-numpy (apt-get install python3-torch python3-numpy) " +
        "or point TUNEBOOK_PYTHON / the `python` option at an interpreter that has them.",
      options,
    );
    this.name = "TunebookReferenceUnavailableError";
    this.python = python;
    this.reason = reason;
  }
}
