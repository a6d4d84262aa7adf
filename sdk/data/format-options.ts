import { z } from "zod";
import { ConfigError, parseOptions } from "../errors";

/** How conversations become token ids and which tokens are trained on. */
export const FormatOptionsSchema = z
  .object({
    /** Longest sequence in tokens; longer examples lose prompt tokens from the left (see docs/datasets.md). */
    maxLength: z.number().int().min(2).default(512),
    /** `auto`: the tokenizer's chat template when it has one, else text markers. */
    template: z.enum(["auto", "chat", "markers"]).default("auto"),
    /** Text markers of the `markers` format (H2O LLM Studio's defaults). */
    markers: z
      .object({
        system: z.string().default("<|system|>"),
        prompt: z.string().default("<|prompt|>"),
        answer: z.string().default("<|answer|>"),
      })
      .default({}),
    /** Append the EOS token after each answer (markers) and each raw text. */
    addEos: z.boolean().default(true),
    /** Markers format: end the system prompt with EOS, as H2O LLM Studio's `add_eos_token_to_system` (chat templates place their own special tokens). */
    addEosToSystem: z.boolean().default(true),
    /** Markers format: end each prompt with EOS, before the answer marker, as H2O LLM Studio's `add_eos_token_to_prompt`. */
    addEosToPrompt: z.boolean().default(true),
    /**
     * Longest prompt part of each turn in tokens (marker, prompt, EOS, answer marker; the system part is limited
     * on its own), cut from the left so its end is kept; applied before `maxLength`. `null`: no separate limit.
     */
    maxLengthPrompt: z.number().int().min(1).nullable().default(null),
    /** Longest answer of each turn in tokens (its EOS included), cut from the right; applied before `maxLength`. `null`: no separate limit. */
    maxLengthAnswer: z.number().int().min(1).nullable().default(null),
    /** Prepend the BOS token, when the tokenizer has one (markers and raw text; chat templates add their own). */
    addBos: z.boolean().default(true),
    /** Mask prompt (system, user, template) tokens out of the loss (label -100). */
    maskPrompt: z.boolean().default(true),
    /** In multi-turn conversations, train only on the last answer. */
    onlyLastAnswer: z.boolean().default(false),
  })
  .strict();

/** Validated formatting options. */
export type FormatOptions = z.infer<typeof FormatOptionsSchema>;
/** Formatting options as the user writes them. */
export type FormatOptionsInput = z.input<typeof FormatOptionsSchema>;

/**
 * Validates formatting options.
 * @param input - the options
 * @returns the options with defaults
 * @throws {@link ConfigError} for unknown keys or out-of-range values
 * @example
 * ```ts
 * const f = parseFormatOptions({ maxLength: 1024, onlyLastAnswer: true });
 * ```
 */
export function parseFormatOptions(input: FormatOptionsInput = {}): FormatOptions {
  return parseOptions(FormatOptionsSchema, input, "format options");
}
