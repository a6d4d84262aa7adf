/**
 * GRPO's advantages: each completion's reward relative to the other completions of its prompt, as TRL's
 * `GRPOTrainer` computes them: `A = (r − mean_group(r)) / (std + 1e-4)`, the standard deviation (unbiased, as
 * torch's `std`) taken within the group (`scale_rewards: group`), over the whole batch (`batch`), or not divided
 * by at all (`none`, Dr. GRPO's choice).
 */

/** TRL's `scale_rewards`. */
export type RewardScaling = "group" | "batch" | "none";

const unbiasedStd = (xs: ArrayLike<number>): number => {
  const n = xs.length;
  if (n < 2) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += xs[i] / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i] - mean) ** 2;
  return Math.sqrt(ss / (n - 1));
};

/**
 * The advantages of a batch of groups.
 * @param rewards - one reward per completion, the `groupSize` completions of each prompt adjacent
 * @param groupSize - completions per prompt (TRL's `num_generations`)
 * @param scaling - what the centred rewards are divided by
 * @returns one advantage per completion
 * @throws Error when the rewards do not split into whole groups
 * @example
 * ```ts
 * groupAdvantages([1, 0, 0, 0], 2, "group"); // [≈0.707, ≈−0.707, 0, 0]
 * ```
 */
export function groupAdvantages(
  rewards: readonly number[],
  groupSize: number,
  scaling: RewardScaling,
): Float32Array {
  if (groupSize < 1 || rewards.length % groupSize !== 0) {
    throw new Error(`groupAdvantages: ${rewards.length} rewards do not split into groups of ${groupSize}`);
  }
  const out = new Float32Array(rewards.length);
  const batchStd = unbiasedStd(rewards);
  for (let g = 0; g < rewards.length; g += groupSize) {
    const group = rewards.slice(g, g + groupSize);
    const mean = group.reduce((a, b) => a + b, 0) / groupSize;
    const std = scaling === "group" ? unbiasedStd(group) : batchStd;
    for (let i = 0; i < groupSize; i++) {
      const centred = group[i] - mean;
      out[g + i] = scaling === "none" ? centred : centred / (std + 1e-4);
    }
  }
  return out;
}
