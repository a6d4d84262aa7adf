import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * A prompt does not fit the model's context: it has `promptTokens` tokens, the context holds `contextLength`
 * positions and at least one must stay free for the first new token.
 *
 * @example
 * ```ts
 * throw new PromptTooLongError({ promptTokens: 600, contextLength: 512, row: 0 });
 * ```
 */
export class PromptTooLongError extends TunebookError {
  /** Tokens in the prompt. */
  readonly promptTokens: number;
  /** Positions the context holds (`max_position_embeddings` or the configured limit). */
  readonly contextLength: number;
  /** Index of the prompt in the batch. */
  readonly row: number;
  /** How many tokens must go: `promptTokens − contextLength + 1`. */
  readonly excess: number;

  /**
   * @param details - `promptTokens`, `contextLength`, `row`
   * @param options - `cause`
   */
  constructor(
    details: { promptTokens: number; contextLength: number; row: number },
    options: TunebookErrorOptions = {},
  ) {
    const excess = details.promptTokens - details.contextLength + 1;
    super(
      `Prompt ${details.row} is too long: expected at most ${details.contextLength - 1} tokens (the context ` +
        `holds ${details.contextLength}, one is needed for the answer), found ${details.promptTokens} — ` +
        `${excess} too many. Shorten the prompt by ${excess} tokens or raise \`contextLength\` if the model ` +
        "supports longer sequences.",
      options,
    );
    this.name = "TunebookPromptTooLongError";
    this.promptTokens = details.promptTokens;
    this.contextLength = details.contextLength;
    this.row = details.row;
    this.excess = excess;
  }
}
