/**
 * Token masking augmentation (`augmentation.token_mask_probability`, as in H2O LLM Studio): each real input
 * token of a training batch is replaced, with the given probability, by a mask token; the labels keep the
 * original tokens, so the model learns to predict through the gaps. Seeded per micro-batch, so a resumed run
 * masks the same positions.
 */
import type { Batch } from "../../data";
import { seededRandom } from "../../util";

/** Options of {@link maskInputTokens}. */
export interface TokenMaskOptions {
  /** Probability of masking each real (non-padding) input token, in [0, 1). */
  probability: number;
  /** The id written over masked tokens. */
  maskTokenId: number;
  /** Seed of this micro-batch's mask. */
  seed: number;
}

/**
 * Masks input tokens of a batch.
 * @param batch - the batch (not modified)
 * @param options - probability, mask token id, seed
 * @returns a batch with masked `inputIds` and the same labels (the same batch when the probability is 0)
 * @example
 * ```ts
 * const masked = maskInputTokens(batch, { probability: 0.1, maskTokenId: 0, seed: 7 });
 * ```
 */
export function maskInputTokens(batch: Batch, options: TokenMaskOptions): Batch {
  if (options.probability <= 0) return batch;
  const rand = seededRandom(options.seed);
  const mask = BigInt(options.maskTokenId);
  const inputIds = batch.inputIds.slice();
  for (let i = 0; i < inputIds.length; i++) {
    if (batch.attentionMask[i] !== 0n && rand() < options.probability) inputIds[i] = mask;
  }
  return { ...batch, inputIds };
}
