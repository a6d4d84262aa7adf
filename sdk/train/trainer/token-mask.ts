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

/**
 * A micro-batch as a training step sees it: token-masked with `augmentation.token_mask_probability` and a seed
 * derived from the step's dropout seed; unchanged in evaluation (negative seed) or with probability 0.
 * @param batch - the batch
 * @param o - probability, the id written over masked tokens, the micro-step's dropout seed
 * @returns the batch to feed
 * @example
 * ```ts
 * const fed = maskedForStep(batch, { probability: 0.1, maskTokenId: 0, dropoutSeed: 7 });
 * ```
 */
export function maskedForStep(
  batch: Batch,
  o: { probability: number; maskTokenId: number; dropoutSeed: number },
): Batch {
  if (o.dropoutSeed < 0 || o.probability === 0) return batch;
  return maskInputTokens(batch, {
    probability: o.probability,
    maskTokenId: o.maskTokenId,
    seed: o.dropoutSeed ^ 0x2545f491,
  });
}
