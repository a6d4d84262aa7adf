/** A message as chat templates take it (a superset of {@link ChatMessage}: any role, extra fields). */
export type TemplateMessage = { role: string; content: unknown; [key: string]: unknown };

/**
 * The tokenizer interface `sdk/data` needs. `sdk/models`' `Tokenizer` satisfies it structurally; any object
 * with these members works (e.g. a wrapper around `@huggingface/tokenizers`).
 */
export interface TextTokenizer {
  /** Token ids of `text`; `addSpecialTokens: false` must add no BOS/EOS (the formatter adds them itself). */
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  /** Text of token ids (used by previews and tests only). */
  decode?(ids: readonly number[]): string;
  /** End-of-sequence id, appended after each answer (markers format) and each raw text; required when `addEos`. */
  eosTokenId: number | undefined;
  /** Padding id; the EOS id (else 0) is used when left out (padding is masked out anyway). */
  padTokenId?: number | undefined;
  /** Beginning-of-sequence id, prepended in the markers and text formats when defined. */
  bosTokenId?: number | undefined;
  /** Renders a conversation with the model's chat template (as Hugging Face's `apply_chat_template(tokenize=False)`). */
  applyChatTemplate?(
    messages: readonly TemplateMessage[],
    options: { addGenerationPrompt?: boolean },
  ): string;
  /** The chat templates by name; when present and empty, `template: "auto"` uses text markers. */
  chatTemplates?: Readonly<Record<string, string>>;
}

/**
 * Whether `template: "auto"` should use the tokenizer's chat template.
 * @param tokenizer - the tokenizer
 * @returns true when it can render chat templates
 * @example
 * ```ts
 * hasChatTemplate(tokenizer);
 * ```
 */
export function hasChatTemplate(tokenizer: TextTokenizer): boolean {
  if (typeof tokenizer.applyChatTemplate !== "function") return false;
  return tokenizer.chatTemplates === undefined || Object.keys(tokenizer.chatTemplates).length > 0;
}
