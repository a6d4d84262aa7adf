/**
 * A scores problem's data: each example's prompt (formatted as for causal LM, the answer left out) and its
 * labels, fed in batches to the scores step: the token inputs, `last_token` (a one-hot `[B, T]` marking each
 * row's last non-padding token, whose hidden state the head reads) and the labels (`class_labels` `[B]` int64
 * for cross-entropy, `targets` `[B, K]` float otherwise). Dimension letters: B batch, T time, K head outputs.
 */
import { type Batch, type TokenizedDataset, TokenizedDataset as Tokens } from "../../data";
import { type Feeds, tensorValue } from "../../engine";
import { batchFeeds, maskedForStep, type ProblemData } from "../trainer";
import type { ScoreSettings } from "./score-settings";

/** A scores problem's data: the prompt tokens, the labels, and the source rows for predictions tables. */
export interface ScoreData extends ProblemData {
  /** Labels row-major, `[examples, K]` (`[examples]` class indices for cross-entropy). */
  readonly labels: Float32Array;
  /** The tokenized examples the prompts were cut from (their source records hold the original columns). */
  readonly source: TokenizedDataset;
  /** The settings the labels were read with. */
  readonly settings: ScoreSettings;
}

/**
 * Each example cut before its first answer token (the tokens the formatting puts before the answer: system,
 * prompt, answer separator or the chat template's generation prompt).
 * @param tokens - examples tokenized as causal LM
 * @returns the prompts, same order and rows
 * @example
 * ```ts
 * const prompts = promptsOnly(tokenized);
 * ```
 */
export function promptsOnly(tokens: TokenizedDataset): TokenizedDataset {
  const examples = tokens.examples.map((ex) => {
    const first = ex.target.indexOf(1);
    const end = first < 0 ? ex.ids.length : Math.max(1, first);
    return { ids: ex.ids.slice(0, end), target: new Uint8Array(end), row: ex.row };
  });
  return new Tokens({
    examples,
    maxLength: tokens.maxLength,
    padTokenId: tokens.padTokenId,
    source: tokens.source,
  });
}

/**
 * The `last_token` one-hot `[B, T]` of a right-padded batch.
 * @param batch - the batch
 * @returns float32 values, 1 at each row's last real token
 */
export function lastTokenMask(batch: Pick<Batch, "attentionMask" | "batchSize" | "seqLen">): Float32Array {
  const { batchSize: B, seqLen: T } = batch;
  const out = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < T; t++) n += Number(batch.attentionMask[b * T + t]);
    out[b * T + Math.max(0, n - 1)] = 1;
  }
  return out;
}

/**
 * The feeds of a scores step's token inputs (no labels): ids, mask, positions, `last_token`, dropout seed.
 * @param batch - the batch
 * @param dropoutSeed - negative in evaluation
 * @returns the feeds
 */
export function scoreInputFeeds(batch: Batch, dropoutSeed: number): Feeds {
  const { labels: _, ...feeds } = batchFeeds(batch, dropoutSeed);
  const dims = [batch.batchSize, batch.seqLen];
  return { ...feeds, last_token: tensorValue("float32", dims, lastTokenMask(batch)) };
}

/**
 * Wraps prompts and labels as the data of a scores step.
 * @param tokens - the tokenized examples (as causal LM: they are cut to their prompts here)
 * @param labels - from `readLabels`, in the examples' order
 * @param s - the problem's settings
 * @param options - token masking on training batches
 * @returns the data
 * @example
 * ```ts
 * const train = scoreBatches(tokens, readLabels(tokens, s, k), s);
 * ```
 */
export function scoreBatches(
  tokens: TokenizedDataset,
  labels: Float32Array,
  s: ScoreSettings,
  options: { tokenMaskProbability?: number } = {},
): ScoreData {
  const prompts = promptsOnly(tokens);
  const byRow = new Map(tokens.examples.map((ex, i) => [ex.row, i] as const));
  const width = s.loss === "CrossEntropyLoss" ? 1 : s.outputs;
  const probability = options.tokenMaskProbability ?? 0;
  const labelFeeds = (batch: Batch): Feeds => {
    const idx = batch.rows.map((r) => byRow.get(r[0]) as number);
    if (s.loss === "CrossEntropyLoss") {
      const ids = BigInt64Array.from(idx, (i) => BigInt(labels[i]));
      return { class_labels: tensorValue("int64", [idx.length], ids) };
    }
    const values = new Float32Array(idx.length * width);
    idx.forEach((i, b) => {
      values.set(labels.subarray(i * width, (i + 1) * width), b * width);
    });
    return { targets: tensorValue("float32", [idx.length, width], values) };
  };
  return {
    tokens: prompts,
    source: tokens,
    labels,
    settings: s,
    length: prompts.length,
    batches(o) {
      const epoch = prompts.batches(o);
      return {
        numBatches: epoch.numBatches,
        *[Symbol.iterator]() {
          for (const batch of epoch) {
            yield {
              index: batch.index,
              numTokens: batch.numTokens,
              numTargetTokens: batch.batchSize,
              feeds(dropoutSeed: number) {
                const maskTokenId = prompts.padTokenId;
                const fed = maskedForStep(batch, { probability, maskTokenId, dropoutSeed });
                return { ...scoreInputFeeds(fed, dropoutSeed), ...labelFeeds(batch) };
              },
            };
          }
        },
      };
    },
  };
}
