/**
 * The configuration's formatting and tokenization settings as the data layer's options: every problem type that
 * reads prompts and answers tokenizes them this way.
 */
import type { TokenizeOptions } from "../../data";
import type { ExperimentConfig } from "../config";

/**
 * The tokenization and formatting options the configuration describes.
 * @param config - the configuration
 * @returns options for `Dataset.prepare` (without the tokenizer)
 * @example
 * ```ts
 * await data.prepare({ tokenizer, ...tokenizeOptions(config) });
 * ```
 */
export function tokenizeOptions(config: ExperimentConfig): Omit<TokenizeOptions, "tokenizer"> {
  const d = config.dataset;
  return {
    maxLength: config.tokenizer.maxLength,
    template: d.useChatTemplate ? "chat" : "markers",
    markers: { system: d.textSystemStart, prompt: d.textPromptStart, answer: d.textAnswerSeparator },
    addEos: config.tokenizer.addEosTokenToAnswer,
    addEosToSystem: config.tokenizer.addEosTokenToSystem,
    addEosToPrompt: config.tokenizer.addEosTokenToPrompt,
    maxLengthPrompt: config.tokenizer.maxLengthPrompt,
    maxLengthAnswer: config.tokenizer.maxLengthAnswer,
    maskPrompt: d.maskPromptLabels,
    onlyLastAnswer: d.onlyLastAnswer,
  };
}
