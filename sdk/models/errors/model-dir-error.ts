import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * A Hugging Face model directory cannot be used: a required file is missing or unreadable, the weights are
 * in an unsupported format (`.bin`), or a shard index points to a missing file or tensor.
 *
 * @example
 * ```ts
 * throw new ModelDirError({ dir: "/m", file: "config.json", problem: "file not found", fix: "Download the full model directory." });
 * ```
 */
export class ModelDirError extends TunebookError {
  /** The model directory. */
  readonly dir: string;
  /** The file concerned, relative to `dir`. */
  readonly file: string;
  /** What is wrong. */
  readonly problem: string;
  /** How to fix it. */
  readonly fix: string;

  /**
   * @param details - the `dir`, the `file` concerned, the `problem` and the `fix`
   * @param options - `cause`
   */
  constructor(
    details: { dir: string; file: string; problem: string; fix: string },
    options: TunebookErrorOptions = {},
  ) {
    super(`Model directory ${details.dir}: ${details.file}: ${details.problem}. ${details.fix}`, options);
    this.name = "TunebookModelDirError";
    this.dir = details.dir;
    this.file = details.file;
    this.problem = details.problem;
    this.fix = details.fix;
  }
}
