import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * A PEFT LoRA adapter cannot be used: a file is missing, its settings are unsupported (per-module ranks),
 * or a tensor is missing or has the wrong shape for the base model.
 *
 * @example
 * ```ts
 * throw new AdapterError({ dir: "/a", problem: "rank_pattern is set", fix: "Use a LoRA or DoRA adapter." });
 * ```
 */
export class AdapterError extends TunebookError {
  /** The adapter directory. */
  readonly dir: string;
  /** What is wrong. */
  readonly problem: string;

  /**
   * @param details - the adapter `dir`, the `problem` and the `fix`
   * @param options - `cause`
   */
  constructor(details: { dir: string; problem: string; fix: string }, options: TunebookErrorOptions = {}) {
    super(`LoRA adapter ${details.dir}: ${details.problem}. ${details.fix}`, options);
    this.name = "TunebookAdapterError";
    this.dir = details.dir;
    this.problem = details.problem;
  }
}
