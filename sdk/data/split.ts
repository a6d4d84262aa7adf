import { z } from "zod";
import { ConfigError } from "../errors";
import { mixSeeds, seededPermutation } from "./rng";

/** Validation split by fraction: `size` of the examples (0 < size < 1) go to validation, chosen with `seed`. */
export const SplitOptionsSchema = z
  .object({ size: z.number().gt(0).lt(1), seed: z.number().int().default(42) })
  .strict();
/**
 * Sampling: keep `fraction` (0 < fraction ≤ 1) of the examples, chosen with `seed`. Without `splits` the sample
 * is taken before the validation split; with `splits` (H2O LLM Studio's `data_sample_choice`) the data is split
 * first and only the named parts are sampled.
 */
export const SampleOptionsSchema = z
  .object({
    fraction: z.number().gt(0).max(1),
    seed: z.number().int().default(42),
    splits: z.array(z.enum(["train", "validation"])).optional(),
  })
  .strict();

/** Validated split options. */
export type SplitOptions = z.infer<typeof SplitOptionsSchema>;
/** Validated sample options. */
export type SampleOptions = z.infer<typeof SampleOptionsSchema>;

/**
 * Splits items into train and validation by a seeded shuffle: `round(size · n)` items (at least 1, at most
 * n − 1) go to validation; both parts keep source order.
 * @param items - the items (e.g. examples)
 * @param options - size and seed
 * @returns the two parts
 * @throws {@link ConfigError} when fewer than 2 items are given
 * @example
 * ```ts
 * const { train, validation } = splitItems(examples, { size: 0.1, seed: 42 });
 * ```
 */
export function splitItems<T>(items: readonly T[], options: SplitOptions): { train: T[]; validation: T[] } {
  if (items.length < 2) {
    throw new ConfigError([
      {
        path: ["validation", "size"],
        message: `expected at least 2 examples to split, found ${items.length}`,
      },
    ]);
  }
  const k = Math.min(items.length - 1, Math.max(1, Math.round(options.size * items.length)));
  const perm = seededPermutation(items.length, mixSeeds(options.seed, 0x5eed));
  const inValidation = new Uint8Array(items.length);
  for (let i = 0; i < k; i++) inValidation[perm[i]] = 1;
  return {
    train: items.filter((_, i) => !inValidation[i]),
    validation: items.filter((_, i) => inValidation[i]),
  };
}

/**
 * Keeps a seeded random `fraction` of the items (at least 1), in source order.
 * @param items - the items
 * @param options - fraction and seed
 * @returns the kept items
 * @example
 * ```ts
 * const tenth = sampleItems(examples, { fraction: 0.1, seed: 1 });
 * ```
 */
export function sampleItems<T>(items: readonly T[], options: SampleOptions): T[] {
  if (options.fraction >= 1) return [...items];
  const k = Math.max(1, Math.round(options.fraction * items.length));
  const perm = seededPermutation(items.length, mixSeeds(options.seed, 0x5a3b));
  const keep = new Uint8Array(items.length);
  for (let i = 0; i < k; i++) keep[perm[i]] = 1;
  return items.filter((_, i) => keep[i]);
}
