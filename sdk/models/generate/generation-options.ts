/**
 * Options of text generation (zod schema = type) and their resolution against the model's
 * `generation_config.json`, with Hugging Face's defaults where neither says anything.
 */
import { z } from "zod";
import { ConfigError } from "../../errors";
import { parseOptions } from "../errors";
import type { ChatMessage } from "../tokenizer";

const tokenId = z.number().int().nonnegative();
const message = z.object({ role: z.string(), content: z.unknown() }).passthrough();

/** Schema of {@link GenerationOptions}. */
export const GenerationOptionsSchema = z
  .object({
    /**
     * One prompt or a batch; encoded with the tokenizer's special tokens (e.g. BOS). An empty prompt starts
     * from the model's BOS token.
     */
    prompt: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    /** One conversation or a batch, rendered with the chat template and its generation prompt. */
    messages: z.union([z.array(message).min(1), z.array(z.array(message).min(1)).min(1)]).optional(),
    /** Token ids of one prompt per row, used as given (an empty row starts from the model's BOS token). */
    inputIds: z.array(z.array(tokenId)).min(1).optional(),
    /** Most tokens generated per row (default `max_new_tokens` of generation_config.json, else 256). */
    maxNewTokens: z.number().int().positive().optional(),
    /** End-of-sequence ids are suppressed until a row has this many new tokens. */
    minNewTokens: z.number().int().nonnegative().default(0),
    /** Sample (true) or pick the most likely token (false). Default: generation_config's `do_sample`, else false. */
    doSample: z.boolean().optional(),
    /** Divides the logits before sampling; 0 means greedy. Default generation_config's, else 1. */
    temperature: z.number().nonnegative().optional(),
    /** Keep only the k most likely tokens when sampling (0: off). Default generation_config's, else 50. */
    topK: z.number().int().nonnegative().optional(),
    /** Nucleus sampling mass in (0, 1]. Default generation_config's, else 1. */
    topP: z.number().gt(0).max(1).optional(),
    /** > 1 discourages tokens already in the sequence (HF semantics). Default generation_config's, else 1. */
    repetitionPenalty: z.number().positive().optional(),
    /** Extra ids that end a row, besides the model's end-of-sequence ids. */
    stopTokenIds: z.array(tokenId).default([]),
    /** A row ends when its text contains one of these; the text is cut before it. */
    stopStrings: z.array(z.string().min(1)).default([]),
    /** Sampling seed; every row of a batch draws from its own generator seeded with it. Default: random. */
    seed: z.number().int().optional(),
    /**
     * One sampling seed per prompt, overriding `seed` row by row (GRPO samples a group of different completions
     * of the same prompt in one batch this way).
     */
    rowSeeds: z.array(z.number().int()).optional(),
    /** Most positions (prompt + new tokens) a row may hold. Default `max_position_embeddings`. */
    contextLength: z.number().int().positive().optional(),
    /** Stops generation between steps; rows end with finish reason `abort`. */
    signal: z.instanceof(AbortSignal).optional(),
    /** Template variables for `messages`, e.g. `{ enable_thinking: false }`. */
    chatTemplateVariables: z.record(z.unknown()).optional(),
  })
  .strict();

/** Options of `generate` / `streamGeneration`: one of `prompt`, `messages`, `inputIds`, plus sampling settings. */
export type GenerationOptions = z.input<typeof GenerationOptionsSchema>;

/** Settings after defaults are resolved. */
export interface ResolvedGeneration {
  readonly maxNewTokens: number;
  readonly minNewTokens: number;
  /** False: greedy. */
  readonly sample: boolean;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly repetitionPenalty: number;
  /** Ids that end a row (model end-of-sequence ids + `stopTokenIds`). */
  readonly endIds: ReadonlySet<number>;
  readonly stopStrings: readonly string[];
  readonly seed: number;
  /** Per-row seeds (`rowSeeds`), overriding {@link seed}. */
  readonly rowSeeds?: readonly number[];
  readonly contextLength: number;
  readonly signal?: AbortSignal;
}

/** What a prompt batch was given as. */
export type PromptInput =
  | { kind: "text"; prompts: string[] }
  | { kind: "chat"; conversations: ChatMessage[][]; variables?: Record<string, unknown> }
  | { kind: "ids"; rows: number[][] };

function numberField(config: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const v = config[key];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function idList(v: unknown): number[] {
  if (typeof v === "number") return [v];
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === "number") : [];
}

/**
 * Validates generation options and resolves their defaults.
 * @param options - what the caller passed
 * @param model - `generationConfig` (generation_config.json), the model's end-of-sequence ids and its context
 * @returns the prompt input and the resolved settings
 * @throws ConfigError for invalid options, or when not exactly one of `prompt`, `messages`, `inputIds` is given
 * @example
 * ```ts
 * const { input, settings } = resolveGeneration({ prompt: "Hi", maxNewTokens: 8 }, { generationConfig: {}, eosIds: [2], contextLength: 2048 });
 * ```
 */
export function resolveGeneration(
  options: GenerationOptions,
  model: {
    generationConfig: Readonly<Record<string, unknown>>;
    eosIds: readonly number[];
    contextLength: number;
  },
): { input: PromptInput; settings: ResolvedGeneration } {
  const o = parseOptions(GenerationOptionsSchema, options, "generate options");
  const given = [o.prompt, o.messages, o.inputIds].filter((x) => x !== undefined).length;
  if (given !== 1) {
    const message = `expected exactly one of prompt, messages, inputIds; found ${given}`;
    throw new ConfigError([{ path: [], message }], { source: "generate options" });
  }
  const g = model.generationConfig;
  const temperature = o.temperature ?? numberField(g, "temperature") ?? 1;
  const settings: ResolvedGeneration = {
    maxNewTokens: o.maxNewTokens ?? numberField(g, "max_new_tokens") ?? 256,
    minNewTokens: o.minNewTokens,
    sample: (o.doSample ?? g.do_sample === true) && temperature > 0,
    temperature,
    topK: o.topK ?? numberField(g, "top_k") ?? 50,
    topP: o.topP ?? numberField(g, "top_p") ?? 1,
    repetitionPenalty: o.repetitionPenalty ?? numberField(g, "repetition_penalty") ?? 1,
    endIds: new Set([...model.eosIds, ...idList(g.eos_token_id), ...o.stopTokenIds]),
    stopStrings: o.stopStrings,
    seed: o.seed ?? Math.floor(Math.random() * 2 ** 31),
    rowSeeds: o.rowSeeds,
    contextLength: o.contextLength ?? model.contextLength,
    signal: o.signal,
  };
  return { input: promptInput(o), settings };
}

function promptInput(o: z.output<typeof GenerationOptionsSchema>): PromptInput {
  if (o.inputIds) return { kind: "ids", rows: o.inputIds };
  if (o.messages) {
    const batch = (Array.isArray(o.messages[0]) ? o.messages : [o.messages]) as ChatMessage[][];
    return { kind: "chat", conversations: batch, variables: o.chatTemplateVariables };
  }
  return { kind: "text", prompts: typeof o.prompt === "string" ? [o.prompt] : (o.prompt ?? []) };
}
