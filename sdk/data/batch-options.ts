import { z } from "zod";
import { ConfigError, parseOptions } from "../errors";

/** How examples are shuffled, grouped and padded into batches. */
export const BatchOptionsSchema = z
  .object({
    /** Rows per batch. */
    batchSize: z.number().int().min(1),
    /** Shuffle each epoch (seeded); off keeps source order. */
    shuffle: z.boolean().default(true),
    /** Seed of the shuffle; epoch e uses its own stream derived from (seed, e). */
    seed: z.number().int().default(42),
    /** Epoch to produce (0-based); each epoch has its own order. */
    epoch: z.number().int().min(0).default(0),
    /** First batch to produce within the epoch (0-based), to resume after a checkpoint. */
    startBatch: z.number().int().min(0).default(0),
    /** Drop the last, smaller batch of the epoch. */
    dropLast: z.boolean().default(false),
    /**
     * Dynamic padding: the batch's length is this quantile of its rows' lengths (1 = the longest row, no
     * token lost). Below 1, rows longer than that lose tokens from the left. Ignored when packing.
     */
    paddingQuantile: z.number().gt(0).max(1).default(1),
    /** Round the batch length up to a multiple of this. */
    padToMultipleOf: z.number().int().min(1).default(1),
    /**
     * Pack several examples into each row (up to `packLength` tokens) with `segmentIds`; see {@link Batch}. The
     * rows are packed once (best-fit decreasing: the same rows every epoch) and shuffled per epoch; `batchSize`
     * then counts rows.
     */
    packing: z.boolean().default(false),
    /** Row capacity when packing; defaults to the tokenization's `maxLength`. */
    packLength: z.number().int().min(2).optional(),
  })
  .strict();

/** Validated batching options. */
export type BatchOptions = z.infer<typeof BatchOptionsSchema>;
/** Batching options as the user writes them. */
export type BatchOptionsInput = z.input<typeof BatchOptionsSchema>;

/**
 * Validates batching options.
 * @param input - the options
 * @returns the options with defaults
 * @throws {@link ConfigError} for unknown keys or out-of-range values
 * @example
 * ```ts
 * const o = parseBatchOptions({ batchSize: 8, seed: 1 });
 * ```
 */
export function parseBatchOptions(input: BatchOptionsInput): BatchOptions {
  return parseOptions(BatchOptionsSchema, input, "batch options");
}
