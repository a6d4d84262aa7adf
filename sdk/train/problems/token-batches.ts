/**
 * Tokenized examples as a problem type's data: each micro-batch of a `TokenizedDataset` fed as the causal-LM
 * step's inputs (ids, masks, positions, shifted labels), with token masking on training batches.
 */
import type { TokenizedDataset } from "../../data";
import { batchFeeds, maskedForStep, type ProblemData } from "../trainer";

/** Options of {@link tokenBatches}. */
export interface TokenBatchesOptions {
  /** `augmentation.token_mask_probability`: training batches only (default 0). */
  tokenMaskProbability?: number;
  /**
   * `training.packing`: several examples per row, up to the length they were tokenized to, with segment ids
   * (training data only: validation is not packed, so its loss is the same quantity with or without packing).
   */
  packing?: boolean;
}

/**
 * Wraps tokenized examples as {@link ProblemData} fed to a causal-LM step.
 * @param tokens - the tokenized examples
 * @param options - token masking, packing
 * @returns the data, whose batches follow `tokens.batches` (same order, same resume points)
 * @example
 * ```ts
 * const train = tokenBatches(tokenized, { tokenMaskProbability: 0.1 });
 * for (const b of train.batches({ batchSize: 4, seed: 1 })) await step.step(b.feeds(7), { lr });
 * ```
 */
export function tokenBatches(tokens: TokenizedDataset, options: TokenBatchesOptions = {}): ProblemData {
  const probability = options.tokenMaskProbability ?? 0;
  return {
    tokens,
    length: tokens.length,
    batches(o) {
      const epoch = tokens.batches({ ...o, packing: options.packing ?? false });
      return {
        numBatches: epoch.numBatches,
        *[Symbol.iterator]() {
          for (const batch of epoch) {
            yield {
              index: batch.index,
              numTokens: batch.numTokens,
              numTargetTokens: batch.numTargetTokens,
              feeds(dropoutSeed: number) {
                const maskTokenId = tokens.padTokenId;
                return batchFeeds(
                  maskedForStep(batch, { probability, maskTokenId, dropoutSeed }),
                  dropoutSeed,
                );
              },
            };
          }
        },
      };
    },
  };
}
