import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * A tokenizer or chat template cannot be loaded or used: malformed `tokenizer.json`, no chat template, a
 * named template that does not exist, or a template that raised an exception while rendering.
 *
 * @example
 * ```ts
 * throw new TokenizerError({ problem: "no chat_template in tokenizer_config.json", fix: "Pass `chatTemplate` explicitly." });
 * ```
 */
export class TokenizerError extends TunebookError {
  /** What is wrong. */
  readonly problem: string;
  /** How to fix it. */
  readonly fix: string;

  /**
   * @param details - the `problem` and the `fix`
   * @param options - `cause`
   */
  constructor(details: { problem: string; fix: string }, options: TunebookErrorOptions = {}) {
    super(`Tokenizer: ${details.problem}. ${details.fix}`, options);
    this.name = "TunebookTokenizerError";
    this.problem = details.problem;
    this.fix = details.fix;
  }
}
