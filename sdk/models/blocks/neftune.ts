/**
 * NEFTune (Jain et al., 2023, "NEFTune: Noisy Embeddings Improve Instruction Finetuning"): during training,
 * uniform noise of magnitude α/√(T·C) is added to the token embeddings, as Hugging Face's `neftune_noise_alpha`
 * does on the embedding layer's output. Dimension letters: B batch, T time, C channels.
 */
import { add, div, less, mul, sizeOf, sqrt, sub, type Tensor, uniformLike, where } from "../../engine";

/** Random-stream salt of the noise, apart from the LoRA dropout streams (which count up from 0). */
const NEFTUNE_SALT = 1_000_003;

/**
 * Adds NEFTune noise to embeddings: `x + U(−1, 1) · α / √(T·C)`, with T and C read at run time; a negative
 * `seed` (evaluation in a training session) leaves `x` unchanged.
 * @param x - embeddings `[B, T, C]`
 * @param seed - int64 scalar that drives the noise (the training graph's `dropout_seed`)
 * @param alpha - noise scale α (0: no noise)
 * @returns the noisy embeddings (the same tensor when `alpha` is 0)
 * @example
 * ```ts
 * x = neftuneNoise(gather(embed, inputIds), dropoutSeed, 5);
 * ```
 */
export function neftuneNoise(x: Tensor, seed: Tensor, alpha: number): Tensor {
  if (alpha <= 0) return x;
  const magnitude = div(alpha, sqrt(sizeOf(x, [1, 2])));
  const noise = mul(sub(mul(uniformLike(x, seed, NEFTUNE_SALT), 2), 1), magnitude);
  return where(less(seed, 0), x, add(x, noise));
}
