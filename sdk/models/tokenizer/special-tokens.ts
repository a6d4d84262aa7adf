/**
 * Special tokens as `tokenizer_config.json` declares them: `bos_token`, `eos_token`, `pad_token`, … may be
 * strings or `{ "content": … }` objects (AddedToken), `added_tokens_decoder` maps ids to AddedToken objects.
 */

/** The special-token attributes transformers passes to chat templates (as `special_tokens_map`). */
export const SPECIAL_TOKEN_KEYS = [
  "bos_token",
  "eos_token",
  "unk_token",
  "sep_token",
  "pad_token",
  "cls_token",
  "mask_token",
] as const;

/** One of {@link SPECIAL_TOKEN_KEYS}. */
export type SpecialTokenKey = (typeof SPECIAL_TOKEN_KEYS)[number];

/** An added token as serialised in `tokenizer.json` (`added_tokens`) and `tokenizer_config.json`. */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

/**
 * Reads a special token that may be a string, an AddedToken object or null.
 * @param value - the raw field from `tokenizer_config.json`
 * @returns the token text, or undefined when absent
 * @example
 * ```ts
 * tokenContent({ content: "<|im_end|>", special: true }); // "<|im_end|>"
 * ```
 */
export function tokenContent(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { content?: unknown }).content === "string"
  ) {
    return (value as { content: string }).content;
  }
  return undefined;
}

/**
 * The special-token map of a tokenizer config: each present attribute as a string, plus
 * `additional_special_tokens` as strings.
 * @param config - parsed `tokenizer_config.json`
 * @returns token strings by attribute name and the additional special tokens
 * @example
 * ```ts
 * specialTokensMap({ eos_token: { content: "</s>" }, pad_token: null }).tokens; // { eos_token: "</s>" }
 * ```
 */
export function specialTokensMap(config: Record<string, unknown>): {
  tokens: Partial<Record<SpecialTokenKey, string>>;
  additional: string[];
} {
  const tokens: Partial<Record<SpecialTokenKey, string>> = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const content = tokenContent(config[key]);
    if (content !== undefined) tokens[key] = content;
  }
  const raw = Array.isArray(config.additional_special_tokens) ? config.additional_special_tokens : [];
  const additional = raw.map(tokenContent).filter((t): t is string => t !== undefined);
  return { tokens, additional };
}

/**
 * Added tokens declared in `tokenizer_config.json`'s `added_tokens_decoder` (`{ "id": { content, special, … } }`).
 * @param config - parsed `tokenizer_config.json`
 * @returns the added tokens with their ids, sorted by id
 * @example
 * ```ts
 * addedTokensFromConfig({ added_tokens_decoder: { "5": { content: "<s>", special: true } } }); // [{ id: 5, content: "<s>", special: true }]
 * ```
 */
export function addedTokensFromConfig(config: Record<string, unknown>): AddedTokenJson[] {
  const decoder = config.added_tokens_decoder;
  if (typeof decoder !== "object" || decoder === null) return [];
  const out: AddedTokenJson[] = [];
  for (const [id, value] of Object.entries(decoder as Record<string, unknown>)) {
    const content = tokenContent(value);
    if (content === undefined || !/^\d+$/.test(id)) continue;
    out.push({ ...(value as object), id: Number(id), content });
  }
  return out.sort((a, b) => a.id - b.id);
}
