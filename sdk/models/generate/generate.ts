/**
 * Text generation on a `Backbone` with the KV-cache graph: prompts are left-padded into one batch (positions
 * from the attention mask's cumulative sum, as Hugging Face `generate` does), prefilled in one run, then
 * decoded one token per step; each row is processed, sampled and stopped independently. Dimension letters:
 * B batch, V vocabulary.
 */

import { ConfigError } from "../../errors";
import { seededRandom } from "../../util";
import type { Backbone } from "../backbone";
import type { Tokenizer } from "../tokenizer";
import { cachedSession, decodeStep, emptyCache } from "./cached-decoder";
import { EmptyPromptError } from "./empty-prompt-error";
import {
  type GenerationOptions,
  type PromptInput,
  type ResolvedGeneration,
  resolveGeneration,
} from "./generation-options";
import { IncrementalDecoder } from "./incremental-decoder";
import {
  applyRepetitionPenalty,
  applyTemperature,
  argmax,
  sampleToken,
  suppressTokens,
  topKFilter,
  topPFilter,
} from "./logits-processors";
import { PromptTooLongError } from "./prompt-too-long-error";
import { StopStringMatcher } from "./stop-strings";

/** Why a row ended: an end id or stop string (`stop`), its token budget (`length`), or the signal (`abort`). */
export type FinishReason = "stop" | "length" | "abort";

/** One generated token of one row, with the text it releases (possibly empty, see `IncrementalDecoder`). */
export interface GenerationChunk {
  /** Index of the prompt in the batch. */
  readonly row: number;
  /** The token id. */
  readonly token: number;
  /** Text released by this token; on a row's last chunk it includes everything held back. */
  readonly text: string;
  /** Set on a row's last chunk. */
  readonly finishReason?: Exclude<FinishReason, "abort">;
}

/** A finished row. */
export interface GenerationResult {
  /** The generated text (stop string excluded, special tokens skipped). */
  readonly text: string;
  /** Generated ids, the end-of-sequence id included when one ended the row. */
  readonly tokenIds: readonly number[];
  /**
   * The log-probability of each generated id under the distribution it was chosen from (the logits after the
   * repetition penalty, temperature, top-k and top-p), one per id: GRPO's sampling-time log-probabilities.
   */
  readonly logProbs: readonly number[];
  /** Tokens in the prompt. */
  readonly promptTokens: number;
  readonly finishReason: FinishReason;
}

/** Per-row generation state. */
class Row {
  readonly generated: number[] = [];
  readonly logProbs: number[] = [];
  done = false;
  private readonly text: IncrementalDecoder;
  private readonly stops: StopStringMatcher;
  readonly random: () => number;

  constructor(
    readonly ids: number[],
    readonly budget: number,
    settings: ResolvedGeneration,
    tokenizer: Tokenizer | undefined,
    seed: number,
  ) {
    const decode = (list: readonly number[]) => tokenizer?.decode(list, { skipSpecialTokens: true }) ?? "";
    this.text = new IncrementalDecoder(decode, ids);
    this.stops = new StopStringMatcher(settings.stopStrings);
    this.random = seededRandom(seed);
  }

  /** Records a chosen token and returns the text it releases and whether the row ends. */
  accept(token: number, endIds: ReadonlySet<number>): { text: string; finish?: "stop" | "length" } {
    this.ids.push(token);
    this.generated.push(token);
    const ended = endIds.has(token);
    const step = this.stops.push(ended ? "" : this.text.push(token));
    if (step.stopped) return { text: step.text, finish: "stop" };
    if (!ended && this.generated.length < this.budget) return { text: step.text };
    const tail = this.stops.push(this.text.flush());
    const text = step.text + tail.text + (tail.stopped ? "" : this.stops.flush());
    return { text, finish: ended || tail.stopped ? "stop" : "length" };
  }
}

function encodeInput(input: PromptInput, tokenizer: Tokenizer | undefined): number[][] {
  if (input.kind === "ids") return input.rows.map((r) => [...r]);
  if (!tokenizer) {
    const message =
      "text prompts need a tokenizer; load the backbone with `tokenizer: true` or pass inputIds";
    throw new ConfigError([{ path: ["prompt"], message }], { source: "generate options" });
  }
  if (input.kind === "text") return input.prompts.map((p) => tokenizer.encode(p));
  return input.conversations.map((c) =>
    tokenizer.encode(
      tokenizer.applyChatTemplate(c, { addGenerationPrompt: true, variables: input.variables }),
      { addSpecialTokens: false },
    ),
  );
}

const PROMPT_FIELD = { text: "prompt", chat: "messages", ids: "inputIds" } as const;

function tokenIdField(config: Readonly<Record<string, unknown>>): number | undefined {
  const v = config.bos_token_id;
  return Number.isInteger(v) && (v as number) >= 0 ? (v as number) : undefined;
}

/**
 * The token an empty prompt starts from, as Hugging Face `generate` picks it: `bos_token_id` of
 * generation_config.json, else of config.json, else the tokenizer's `bos_token`.
 * @param backbone - the model
 * @returns the id, or undefined when the model declares none
 * @example
 * ```ts
 * startTokenOf(backbone); // 2045 for assets/tiny-llama
 * ```
 */
export function startTokenOf(backbone: Backbone): number | undefined {
  const dir = backbone.modelDir;
  return tokenIdField(dir.generationConfig) ?? tokenIdField(dir.config) ?? dir.tokenizer?.bosTokenId;
}

/**
 * Every prompt with at least one token: an empty one starts from the model's BOS token (so no zero-length
 * sequence reaches the session).
 * @throws EmptyPromptError when a prompt is empty and the model has no BOS token
 */
function nonEmptyPrompts(prompts: number[][], input: PromptInput, backbone: Backbone): number[][] {
  return prompts.map((ids, row) => {
    if (ids.length > 0) return ids;
    const start = startTokenOf(backbone);
    if (start === undefined) throw new EmptyPromptError({ row, field: PROMPT_FIELD[input.kind] });
    return [start];
  });
}

/**
 * The context length of a backbone: `max_position_embeddings` from config.json (or its `text_config`, as in
 * Gemma 3 image-text checkpoints), else unbounded.
 */
export function contextLengthOf(backbone: Backbone): number {
  const config = backbone.modelDir.config;
  const text = config.text_config as Record<string, unknown> | undefined;
  const v = config.max_position_embeddings ?? text?.max_position_embeddings;
  return typeof v === "number" && v > 0 ? v : Number.MAX_SAFE_INTEGER;
}

/** `scores[token] − logsumexp(scores)`: the log-probability of the chosen token. */
function logProbOf(scores: Float32Array, token: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of scores) if (v > max) max = v;
  let sum = 0;
  for (const v of scores) sum += Math.exp(v - max);
  return scores[token] - max - Math.log(sum);
}

function chooseToken(scores: Float32Array, row: Row, s: ResolvedGeneration): number {
  applyRepetitionPenalty(scores, row.ids, s.repetitionPenalty);
  if (row.generated.length < s.minNewTokens) suppressTokens(scores, s.endIds);
  if (!s.sample) return argmax(scores);
  applyTemperature(scores, s.temperature);
  topKFilter(scores, s.topK);
  topPFilter(scores, s.topP);
  return sampleToken(scores, row.random);
}

function prepare(backbone: Backbone, options: GenerationOptions) {
  const tokenizer = backbone.modelDir.tokenizer;
  const { input, settings } = resolveGeneration(options, {
    generationConfig: backbone.modelDir.generationConfig,
    eosIds: tokenizer?.eosTokenIds ?? [],
    contextLength: contextLengthOf(backbone),
  });
  if (settings.stopStrings.length > 0 && !tokenizer) {
    const message = "stop strings need a tokenizer; load the backbone with `tokenizer: true`";
    throw new ConfigError([{ path: ["stopStrings"], message }], { source: "generate options" });
  }
  const prompts = nonEmptyPrompts(encodeInput(input, tokenizer), input, backbone);
  if (settings.rowSeeds && settings.rowSeeds.length !== prompts.length) {
    const message = `expected one seed per prompt (${prompts.length}), got ${settings.rowSeeds.length}`;
    throw new ConfigError([{ path: ["rowSeeds"], message }], { source: "generate options" });
  }
  const rows = prompts.map((ids, i) => {
    if (ids.length >= settings.contextLength) {
      throw new PromptTooLongError({
        promptTokens: ids.length,
        contextLength: settings.contextLength,
        row: i,
      });
    }
    const budget = Math.min(settings.maxNewTokens, settings.contextLength - ids.length);
    return new Row(ids, budget, settings, tokenizer, settings.rowSeeds?.[i] ?? settings.seed);
  });
  return { rows, settings, padId: tokenizer?.padTokenId ?? 0 };
}

/**
 * Streams generated tokens, one chunk per token per row, as the batch decodes.
 * @param backbone - the model (its LoRA and trained values included)
 * @param options - one of `prompt`, `messages`, `inputIds`; sampling, limits, stops, `seed`, `signal`
 * @returns an async iterable of chunks; a row's last chunk carries its `finishReason`. It ends when every row
 *   has finished or `signal` fired (then unfinished rows get no last chunk).
 * @throws ConfigError for invalid options; PromptTooLongError for a prompt the context cannot hold;
 *   EmptyPromptError for an empty prompt when the model has no BOS token (with one, the prompt starts from it)
 * @example
 * ```ts
 * for await (const { text } of streamGeneration(backbone, { prompt: "Once upon a time", maxNewTokens: 20 })) {
 *   process.stdout.write(text);
 * }
 * ```
 */
export function streamGeneration(
  backbone: Backbone,
  options: GenerationOptions,
): AsyncGenerator<GenerationChunk, void, undefined> {
  return decodeRows(backbone, prepare(backbone, options));
}

async function* decodeRows(
  backbone: Backbone,
  { rows, settings, padId }: ReturnType<typeof prepare>,
): AsyncGenerator<GenerationChunk, void, undefined> {
  const V = backbone.config.vocabSize;
  const width = rows.reduce((w, r) => Math.max(w, r.ids.length), 0);
  const mask = rows.map((r) => [...Array(width - r.ids.length).fill(0), ...r.ids.map(() => 1)]);
  const ids = rows.map((r) => [...Array(width - r.ids.length).fill(padId), ...r.ids]);
  const counts = rows.map((r) => r.ids.length);
  const positions = mask.map((m) => {
    let seen = 0;
    return m.map((v) => (v ? seen++ : 1));
  });
  if (settings.signal?.aborted) return;
  const session = await cachedSession(backbone);
  let step = await decodeStep(session, { ids, mask, positions, cache: emptyCache(backbone, rows.length) });
  for (;;) {
    for (const [b, row] of rows.entries()) {
      if (row.done) continue;
      const scores = step.lastLogits.slice(b * V, (b + 1) * V);
      const token = chooseToken(scores, row, settings);
      row.logProbs.push(logProbOf(scores, token));
      const { text, finish } = row.accept(token, settings.endIds);
      if (finish) row.done = true;
      yield finish ? { row: b, token, text, finishReason: finish } : { row: b, token, text };
    }
    if (rows.every((r) => r.done) || settings.signal?.aborted) return;
    const next = rows.map((r) => [r.done ? padId : r.generated[r.generated.length - 1]]);
    for (const m of mask) m.push(1);
    const nextPositions = counts.map((c, b) => {
      counts[b] = c + 1;
      return [c];
    });
    next.forEach(([token], b) => {
      ids[b].push(token);
      positions[b].push(nextPositions[b][0]);
    });
    // LongRoPE (Phi-3): as transformers' Phi3ForCausalLM, the cache is dropped and the whole sequence re-run once
    // it first grows past original_max_position_embeddings, so every key is rotated with the long factors.
    const reset = backbone.config.rope.long && mask[0].length === backbone.config.rope.long.fromPosition + 1;
    step = reset
      ? await decodeStep(session, { ids, mask, positions, cache: emptyCache(backbone, rows.length) })
      : await decodeStep(session, { ids: next, mask, positions: nextPositions, cache: step.cache });
  }
}

/**
 * Generates text for one prompt or a batch and waits for every row.
 * @param backbone - the model
 * @param options - as {@link streamGeneration}
 * @returns one result per prompt, in order (rows cut short by `signal` have finish reason `abort`)
 * @throws ConfigError for invalid options; PromptTooLongError for a prompt the context cannot hold;
 *   EmptyPromptError for an empty prompt when the model has no BOS token (with one, the prompt starts from it)
 * @example
 * ```ts
 * const [answer] = await generate(backbone, { messages: [{ role: "user", content: "Hi" }], maxNewTokens: 32 });
 * console.log(answer.text, answer.finishReason);
 * ```
 */
export async function generate(backbone: Backbone, options: GenerationOptions): Promise<GenerationResult[]> {
  const prepared = prepare(backbone, options);
  const promptTokens = prepared.rows.map((r) => r.ids.length);
  const texts = prepared.rows.map(() => "");
  const reasons: FinishReason[] = prepared.rows.map(() => "abort");
  for await (const chunk of decodeRows(backbone, prepared)) {
    texts[chunk.row] += chunk.text;
    if (chunk.finishReason) reasons[chunk.row] = chunk.finishReason;
  }
  return prepared.rows.map((r, b) => ({
    text: texts[b],
    tokenIds: r.generated,
    logProbs: r.logProbs,
    promptTokens: promptTokens[b],
    finishReason: reasons[b],
  }));
}
