import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * An export (a PEFT adapter or a merged Hugging Face model directory) cannot be written: the target folder is
 * not empty, the backbone has no LoRA to save, a weight cannot be exported, or the files could not be written.
 *
 * @example
 * ```ts
 * throw new ExportError({
 *   target: "/runs/1/merged",
 *   problem: "the folder exists and is not empty",
 *   fix: "Pass overwrite: true to replace it, or choose another folder.",
 * });
 * ```
 */
export class ExportError extends TunebookError {
  /** The folder that was to be written. */
  readonly target: string;
  /** What is wrong. */
  readonly problem: string;

  /**
   * @param details - the `target` folder, the `problem` (what was expected and what was found) and the `fix`
   * @param options - `cause`
   */
  constructor(details: { target: string; problem: string; fix: string }, options: TunebookErrorOptions = {}) {
    super(`Cannot export to ${details.target}: ${details.problem}. ${details.fix}`, options);
    this.name = "TunebookExportError";
    this.target = details.target;
    this.problem = details.problem;
  }
}
