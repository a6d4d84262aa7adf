import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { z } from "zod";
import { parseOptions, TokenizerError } from "../errors";
import type { RenderLimits } from "./bounded-render";
import {
  type ChatMessage,
  chatTemplatesByName,
  renderChatTemplate,
  selectChatTemplate,
} from "./chat-template";
import {
  type AddedTokenJson,
  addedTokensFromConfig,
  type SpecialTokenKey,
  specialTokensMap,
} from "./special-tokens";

const JsonObject = z.record(z.unknown());

const CreateOptions = z
  .object({
    tokenizerJson: JsonObject,
    tokenizerConfig: JsonObject.default({}),
    chatTemplate: z.unknown().optional(),
    chatTemplateSource: z.string().optional(),
    extraEosTokenIds: z.array(z.number().int().nonnegative()).default([]),
  })
  .strict();

/** Options of {@link Tokenizer.create}. */
export type CreateTokenizerOptions = z.input<typeof CreateOptions>;

/** Options of {@link Tokenizer.applyChatTemplate}. */
export interface ApplyChatTemplateOptions {
  /** Append the assistant turn header so the model answers next (default false). */
  addGenerationPrompt?: boolean;
  /** Tool (function) JSON schemas, passed to the template as `tools`. */
  tools?: readonly unknown[];
  /** Retrieval documents, passed as `documents`. */
  documents?: readonly unknown[];
  /** Which named template to use (for tokenizers with several). */
  templateName?: string;
  /** Extra template variables, e.g. `{ enable_thinking: false }` or `{ date_string: "1 Jan 2025" }`. */
  variables?: Record<string, unknown>;
  /** Bounds of the rendering (time, output size, `range()` length); see `DEFAULT_RENDER_LIMITS`. */
  limits?: Partial<RenderLimits>;
}

/**
 * A Hugging Face tokenizer (`tokenizer.json` + `tokenizer_config.json`) with its special tokens and chat
 * template. Encoding and decoding are done by `@huggingface/tokenizers`; templates by `@huggingface/jinja`.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer({ dir: "models/tiny" });
 * const prompt = tok.applyChatTemplate([{ role: "user", content: "Hi" }], { addGenerationPrompt: true });
 * const ids = tok.encode(prompt, { addSpecialTokens: false });
 * console.log(tok.decode(ids));
 * ```
 */
export class Tokenizer {
  /** Special tokens by attribute (`bos_token`, `eos_token`, `pad_token`, …), as strings. */
  readonly specialTokens: Readonly<Partial<Record<SpecialTokenKey, string>>>;
  /** Chat templates by name (`default`, `tool_use`, …); empty when the tokenizer has none. */
  readonly chatTemplates: Readonly<Record<string, string>>;
  /** Where the chat templates were read from (a file path), when known; named in template errors. */
  readonly chatTemplateSource: string | undefined;
  /** Id of `bos_token`, if any. */
  readonly bosTokenId: number | undefined;
  /** Id of `eos_token`, if any. */
  readonly eosTokenId: number | undefined;
  /** Every id that ends generation: `eos_token` plus `extraEosTokenIds` (e.g. from generation_config.json). */
  readonly eosTokenIds: readonly number[];
  /** Id of `pad_token`, falling back to `eosTokenId` when the tokenizer has no pad token. */
  readonly padTokenId: number | undefined;
  /** Id of `unk_token`, if any. */
  readonly unkTokenId: number | undefined;
  /** Ids of every special added token. */
  readonly specialTokenIds: ReadonlySet<number>;
  private readonly hf: HfTokenizer;

  private constructor(
    hf: HfTokenizer,
    config: Record<string, unknown>,
    chatTemplate: unknown,
    extraEos: number[],
    chatTemplateSource: string | undefined,
  ) {
    this.hf = hf;
    this.chatTemplateSource = chatTemplateSource;
    const { tokens } = specialTokensMap(config);
    this.specialTokens = tokens;
    this.chatTemplates = chatTemplatesByName(chatTemplate ?? config.chat_template);
    const id = (t: string | undefined) => (t === undefined ? undefined : hf.token_to_id(t));
    this.bosTokenId = id(tokens.bos_token);
    this.eosTokenId = id(tokens.eos_token);
    this.unkTokenId = id(tokens.unk_token);
    this.padTokenId = id(tokens.pad_token) ?? this.eosTokenId;
    this.eosTokenIds = [
      ...new Set([...(this.eosTokenId === undefined ? [] : [this.eosTokenId]), ...extraEos]),
    ];
    this.specialTokenIds = new Set(
      [...hf.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([tokenId]) => tokenId),
    );
  }

  /**
   * Builds a tokenizer from parsed JSON. Tokens in `added_tokens_decoder` missing from `tokenizer.json` are added.
   * @param options - `tokenizerJson` (parsed tokenizer.json), `tokenizerConfig` (parsed tokenizer_config.json),
   * optional `chatTemplate` (overrides the config's), `chatTemplateSource` (where it was read, for messages) and
   * `extraEosTokenIds`
   * @returns the tokenizer
   * @throws {@link TokenizerError} when tokenizer.json is not a supported tokenizer
   * @throws {@link ConfigError} for invalid options
   * @example
   * ```ts
   * const tok = Tokenizer.create({ tokenizerJson: JSON.parse(text), tokenizerConfig: { eos_token: "</s>" } });
   * ```
   */
  static create(options: CreateTokenizerOptions): Tokenizer {
    const opts = parseOptions(CreateOptions, options, "Tokenizer.create options");
    const json = withConfigAddedTokens(opts.tokenizerJson, opts.tokenizerConfig);
    const { additional } = specialTokensMap(opts.tokenizerConfig);
    const hfConfig = { ...opts.tokenizerConfig, additional_special_tokens: additional };
    let hf: HfTokenizer;
    try {
      hf = new HfTokenizer(json, hfConfig);
    } catch (cause) {
      throw new TokenizerError(
        {
          problem: `tokenizer.json could not be loaded (${(cause as Error).message})`,
          fix: "Use a tokenizer.json saved by Hugging Face tokenizers (a 'fast' tokenizer).",
        },
        { cause },
      );
    }
    return new Tokenizer(
      hf,
      opts.tokenizerConfig,
      opts.chatTemplate,
      opts.extraEosTokenIds,
      opts.chatTemplateSource,
    );
  }

  /** Number of tokens, added tokens included (Python's `len(tokenizer)`); the model's embedding may be larger. */
  get vocabSize(): number {
    return this.hf.get_vocab(true).size;
  }

  /**
   * Encodes text to token ids.
   * @param text - the text
   * @param options - `addSpecialTokens` (default true): apply the tokenizer's post-processor (e.g. prepend BOS);
   * use false for text rendered by a chat template, which already contains its special tokens
   * @returns token ids
   * @example
   * ```ts
   * tok.encode("Hello world", { addSpecialTokens: false });
   * ```
   */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    return this.hf.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /**
   * Decodes token ids to text.
   * @param ids - token ids (numbers or bigints)
   * @param options - `skipSpecialTokens` (default false) drops special tokens
   * @returns the text
   * @example
   * ```ts
   * tok.decode([15496, 995], { skipSpecialTokens: true });
   * ```
   */
  decode(
    ids: readonly number[] | readonly bigint[] | Int32Array | BigInt64Array,
    options: { skipSpecialTokens?: boolean } = {},
  ): string {
    const list = Array.from(ids as ArrayLike<number | bigint>, Number);
    if (list.length === 0) return "";
    return this.hf.decode(list, { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /**
   * The id of a token string (special tokens included).
   * @param token - token text, e.g. `"<|im_end|>"`
   * @returns its id, or undefined when not in the vocabulary
   * @example
   * ```ts
   * tok.tokenToId("<|im_end|>");
   * ```
   */
  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  /**
   * The token string of an id.
   * @param id - token id
   * @returns its text, or undefined when out of range
   * @example
   * ```ts
   * tok.idToToken(0);
   * ```
   */
  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  /**
   * Renders a conversation with the tokenizer's chat template, as transformers' `apply_chat_template(…,
   * tokenize=False)` does.
   * @param messages - the conversation
   * @param options - `addGenerationPrompt`, `tools`, `documents`, `templateName`, `variables`, `limits`
   * @returns the prompt text (encode it with `addSpecialTokens: false`)
   * @throws {@link TokenizerError} when there is no template, the template raises, or it reaches a render limit
   *   (it loops too long or renders too much)
   * @example
   * ```ts
   * tok.applyChatTemplate([{ role: "user", content: "Hi" }], { addGenerationPrompt: true });
   * ```
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: ApplyChatTemplateOptions = {}): string {
    const template = selectChatTemplate(this.chatTemplates, {
      name: options.templateName,
      hasTools: options.tools !== undefined,
    });
    const { bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token } =
      this.specialTokens;
    const specialTokens = Object.fromEntries(
      Object.entries({ bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token }).filter(
        ([, v]) => v !== undefined,
      ),
    ) as Record<string, string>;
    return renderChatTemplate({
      template,
      messages,
      addGenerationPrompt: options.addGenerationPrompt,
      tools: options.tools,
      documents: options.documents,
      specialTokens,
      variables: options.variables,
      limits: options.limits,
      source: this.chatTemplateSource,
    });
  }
}

function withConfigAddedTokens(
  json: Record<string, unknown>,
  config: Record<string, unknown>,
): Record<string, unknown> {
  const existing = Array.isArray(json.added_tokens) ? (json.added_tokens as AddedTokenJson[]) : [];
  const known = new Set(existing.map((t) => t.id));
  const extra = addedTokensFromConfig(config).filter((t) => !known.has(t.id));
  const defaults = { single_word: false, lstrip: false, rstrip: false, normalized: false, special: false };
  return { ...json, added_tokens: [...existing, ...extra.map((t) => ({ ...defaults, ...t }))] };
}
