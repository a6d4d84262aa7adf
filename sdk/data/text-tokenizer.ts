import type { ChatMessage } from "./examples";

/**
 * The tokenizer interface `sdk/data` needs. `sdk/models`' `Tokenizer` satisfies it structurally; any object
 * with these members works (e.g. a wrapper around `@huggingface/tokenizers`).
 */
export interface TextTokenizer {
  /** Token ids of `text`; `addSpecialTokens: false` must add no BOS/EOS (the formatter adds them itself). */
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  /** Text of token ids (used by previews and tests only). */
  decode?(ids: readonly number[]): string;
  /** End-of-sequence id, appended after each answer (markers format) and each raw text. */
  eosTokenId: number;
  /** Padding id; the EOS id is used when left out (padding is masked out anyway). */
  padTokenId?: number;
  /** Beginning-of-sequence id, prepended in the markers and text formats when defined. */
  bosTokenId?: number;
  /** Renders a conversation with the model's chat template (as Hugging Face's `apply_chat_template(tokenize=False)`). */
  applyChatTemplate?(messages: ChatMessage[], options: { addGenerationPrompt: boolean }): string;
}
