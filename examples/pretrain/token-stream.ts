/**
 * Pretraining batches from raw text: each source's documents are tokenized once into one stream (documents
 * separated by `<|endoftext|>`), and every training row is a window of T + 1 consecutive tokens drawn at a
 * seeded random offset — inputs are tokens 0..T−1, labels tokens 1..T (already shifted, as `Batch` wants).
 * Validation uses fixed, non-overlapping windows. Dimension letters: B rows, T sequence length.
 */
import type { Batch } from "../../sdk/data";
import type { Tokenizer } from "../../sdk/models";
import { seededRandom } from "../../sdk/util";

/** One tokenized source and how often training rows are drawn from it. */
export interface TokenSource {
  name: string;
  tokens: Int32Array;
  /** Relative share of training rows (normalised over sources). */
  weight: number;
}

/**
 * Tokenizes documents into one stream, each document followed by the separator.
 * @param tokenizer - the tokenizer
 * @param texts - documents
 * @param separatorId - id appended after each document (`<|endoftext|>`)
 * @returns the token stream
 * @example
 * ```ts
 * const tokens = tokenizeStream(tokenizer, ["Call me Ishmael."], eotId);
 * ```
 */
export function tokenizeStream(
  tokenizer: Tokenizer,
  texts: readonly string[],
  separatorId: number,
): Int32Array {
  const parts: number[][] = texts.map((t) => [
    ...tokenizer.encode(t, { addSpecialTokens: false }),
    separatorId,
  ]);
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Lays windows of T + 1 tokens out as a {@link Batch} (no padding, every position labelled).
 * @param windows - B windows of T + 1 tokens each
 * @param index - batch index (for the batch's bookkeeping)
 * @returns the batch
 * @example
 * ```ts
 * const batch = windowBatch([tokens.subarray(0, 257)], 0);
 * ```
 */
export function windowBatch(windows: readonly Int32Array[], index: number): Batch {
  const B = windows.length;
  const T = windows[0].length - 1;
  const inputIds = new BigInt64Array(B * T);
  const labels = new BigInt64Array(B * T);
  const positionIds = new BigInt64Array(B * T);
  windows.forEach((w, b) => {
    for (let t = 0; t < T; t++) {
      inputIds[b * T + t] = BigInt(w[t]);
      labels[b * T + t] = BigInt(w[t + 1]);
      positionIds[b * T + t] = BigInt(t);
    }
  });
  const attentionMask = new BigInt64Array(B * T).fill(1n);
  const rows = windows.map(() => []);
  return {
    inputIds,
    labels,
    attentionMask,
    positionIds,
    batchSize: B,
    seqLen: T,
    numTargetTokens: B * T,
    numTokens: B * T,
    epoch: 0,
    index,
    rows,
  };
}

/**
 * Training batches: each row picks a source by weight, then a uniformly random window in it. The sequence of
 * batches is a pure function of the seed.
 * @param options - sources, batch size, sequence length, seed
 * @returns a function giving batch `i` (call with 0, 1, 2, … in order)
 * @example
 * ```ts
 * const next = trainingBatches({ sources, batchSize: 8, seqLen: 256, seed: 0 });
 * const batch = next(0);
 * ```
 */
export function trainingBatches(options: {
  sources: readonly TokenSource[];
  batchSize: number;
  seqLen: number;
  seed: number;
}): (index: number) => Batch {
  const rand = seededRandom(options.seed);
  const total = options.sources.reduce((n, s) => n + s.weight, 0);
  const pick = (): TokenSource => {
    let r = rand() * total;
    for (const s of options.sources) {
      r -= s.weight;
      if (r < 0) return s;
    }
    return options.sources[options.sources.length - 1];
  };
  const L = options.seqLen + 1;
  return (index) => {
    const windows = Array.from({ length: options.batchSize }, () => {
      const s = pick();
      const start = Math.floor(rand() * (s.tokens.length - L));
      return s.tokens.subarray(start, start + L);
    });
    return windowBatch(windows, index);
  };
}

/**
 * Fixed validation batches: consecutive non-overlapping windows from the start of the stream.
 * @param tokens - validation token stream
 * @param options - batch size, sequence length, and the most batches to make
 * @returns the batches
 * @example
 * ```ts
 * const val = validationBatches(valTokens, { batchSize: 8, seqLen: 256, maxBatches: 8 });
 * ```
 */
export function validationBatches(
  tokens: Int32Array,
  options: { batchSize: number; seqLen: number; maxBatches: number },
): Batch[] {
  const L = options.seqLen + 1;
  const windows: Int32Array[] = [];
  for (let at = 0; at + L <= tokens.length; at += L) windows.push(tokens.subarray(at, at + L));
  const batches: Batch[] = [];
  for (let b = 0; b < options.maxBatches; b++) {
    const rows = windows.slice(b * options.batchSize, (b + 1) * options.batchSize);
    if (rows.length < options.batchSize) break;
    batches.push(windowBatch(rows, b));
  }
  return batches;
}
