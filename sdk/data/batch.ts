/*
 * Dimension letters: B = rows in the batch, T = sequence length of the batch.
 */
import type { TokenizedExample } from "./tokenize-examples";

/** The label of a position that is not trained on (PyTorch's `ignore_index`). */
export const IGNORE_INDEX = -100;

/**
 * One batch, the trainer's input. Every tensor is row-major `[B, T]`, int64.
 *
 * - `inputIds[b, t]`: token t of row b; padding is `padTokenId`.
 * - `labels[b, t]`: the target of the prediction made at position t, already shifted: the id of token t+1
 *   when that token is trained on and belongs to the same example, else -100 (prompt tokens, the last token
 *   of each example, padding). The loss is the mean cross-entropy over positions with `labels != -100`; their
 *   count is `numTargetTokens`.
 * - `attentionMask[b, t]`: 1 for real tokens, 0 for padding (padding is at the right end).
 * - `positionIds[b, t]`: position within the token's own example, starting at 0 (restarts for each packed
 *   example); 0 on padding.
 * - `segmentIds[b, t]` (packed batches only): 1, 2, 3… numbering the examples packed in row b, 0 on padding.
 *   Token t may attend to token s iff `s <= t && segmentIds[b, s] === segmentIds[b, t] && segmentIds[b, s] !== 0`
 *   — a block-diagonal causal mask, so packed examples never see each other. Without packing, the causal
 *   mask and `attentionMask` give the same thing.
 */
export interface Batch {
  inputIds: BigInt64Array;
  labels: BigInt64Array;
  attentionMask: BigInt64Array;
  positionIds: BigInt64Array;
  segmentIds?: BigInt64Array;
  batchSize: number;
  seqLen: number;
  /** Positions with a label other than -100. */
  numTargetTokens: number;
  /** Real (non-padding) tokens in the batch. */
  numTokens: number;
  /** 0-based epoch this batch belongs to. */
  epoch: number;
  /** 0-based index of this batch within its epoch (resume with `startBatch: index + 1`). */
  index: number;
  /** 1-based source rows of the examples in the batch, row by row. */
  rows: number[][];
}

/** Layout options for {@link buildBatch}. */
export interface BuildBatchOptions {
  seqLen: number;
  padTokenId: number;
  /** Emit `segmentIds` (packed rows). */
  packed: boolean;
  epoch: number;
  index: number;
}

/**
 * Lays rows of examples out as a {@link Batch}. Each row holds one example, or several when packed. A row
 * longer than `seqLen` loses tokens from the left (the prompt side; see `paddingQuantile`).
 * @param rows - per row, the examples it holds
 * @param options - sequence length, padding id, packing, epoch and index
 * @returns the batch
 * @example
 * ```ts
 * const batch = buildBatch([[example]], { seqLen: 16, padTokenId: 0, packed: false, epoch: 0, index: 0 });
 * ```
 */
export function buildBatch(
  rows: readonly (readonly TokenizedExample[])[],
  options: BuildBatchOptions,
): Batch {
  const T = options.seqLen;
  const B = rows.length;
  const inputIds = new BigInt64Array(B * T).fill(BigInt(options.padTokenId));
  const labels = new BigInt64Array(B * T).fill(BigInt(IGNORE_INDEX));
  const attentionMask = new BigInt64Array(B * T);
  const positionIds = new BigInt64Array(B * T);
  const segmentIds = options.packed ? new BigInt64Array(B * T) : undefined;
  let numTargetTokens = 0;
  let numTokens = 0;
  rows.forEach((row, b) => {
    const total = row.reduce((n, ex) => n + ex.ids.length, 0);
    let skip = Math.max(0, total - T);
    let t = 0;
    row.forEach((ex, k) => {
      const from = Math.min(skip, ex.ids.length);
      skip -= from;
      for (let i = from; i < ex.ids.length; i++, t++) {
        const o = b * T + t;
        inputIds[o] = BigInt(ex.ids[i]);
        attentionMask[o] = 1n;
        positionIds[o] = BigInt(i - from);
        if (segmentIds) segmentIds[o] = BigInt(k + 1);
        if (i + 1 < ex.ids.length && ex.target[i + 1] === 1) {
          labels[o] = BigInt(ex.ids[i + 1]);
          numTargetTokens++;
        }
      }
    });
    numTokens += t;
  });
  return {
    inputIds,
    labels,
    attentionMask,
    positionIds,
    segmentIds,
    batchSize: B,
    seqLen: T,
    numTargetTokens,
    numTokens,
    epoch: options.epoch,
    index: options.index,
    rows: rows.map((r) => r.map((ex) => ex.row)),
  };
}
