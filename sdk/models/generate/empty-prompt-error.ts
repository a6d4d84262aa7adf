import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * A prompt has no tokens and the model has no beginning-of-sequence token to start from (no `bos_token_id` in
 * generation_config.json or config.json, no `bos_token` in tokenizer_config.json). With one, an empty prompt
 * is valid: generation starts from that token, as Hugging Face `generate` does.
 *
 * @example
 * ```ts
 * throw new EmptyPromptError({ row: 0, field: "prompt" });
 * ```
 */
export class EmptyPromptError extends TunebookError {
  /** Index of the prompt in the batch. */
  readonly row: number;
  /** The option the prompt came from: `prompt`, `messages` or `inputIds`. */
  readonly field: "prompt" | "messages" | "inputIds";

  /**
   * @param details - `row` and `field`
   * @param options - `cause`
   */
  constructor(
    details: { row: number; field: "prompt" | "messages" | "inputIds" },
    options: TunebookErrorOptions = {},
  ) {
    super(
      `Prompt ${details.row} (\`${details.field}\`) is empty, and this model has no beginning-of-sequence ` +
        "token to start from (no `bos_token_id` in generation_config.json or config.json, no `bos_token` in " +
        `tokenizer_config.json). Give \`${details.field}\` at least one token of text.`,
      options,
    );
    this.name = "TunebookEmptyPromptError";
    this.row = details.row;
    this.field = details.field;
  }
}
