/**
 * GRPO's rewards: every reward function applied to every completion (awaited, as they may be async), checked,
 * and summed with their weights.
 */
import type { RewardFunction } from "../trainer";
import { RewardError } from "./reward-error";

/** One completion to score: its text and the dataset row its prompt came from. */
export interface ScoredCompletion {
  text: string;
  /** 1-based source row, for messages. */
  row: number;
  record: Readonly<Record<string, unknown>>;
}

/** The name a message uses for a reward function. */
export const rewardName = (f: RewardFunction, index: number): string => f.name || `rewards[${index}]`;

/**
 * The weighted sum of the rewards of each completion.
 * @param rewards - the reward functions
 * @param weights - one weight per function (all 1 when absent)
 * @param completions - the completions, with their rows
 * @returns one summed reward per completion
 * @throws RewardError naming the function and the row when one throws or returns a non-finite value
 * @example
 * ```ts
 * const r = await scoreCompletions([(c) => c.length], undefined, [{ text: "ab", row: 1, record: {} }]); // [2]
 * ```
 */
export async function scoreCompletions(
  rewards: readonly RewardFunction[],
  weights: readonly number[] | undefined,
  completions: readonly ScoredCompletion[],
): Promise<number[]> {
  const totals = completions.map(() => 0);
  for (const [i, f] of rewards.entries()) {
    const w = weights?.[i] ?? 1;
    const values = await Promise.all(
      completions.map(async (c) => {
        let v: unknown;
        try {
          v = await f(c.text, c.record);
        } catch (error) {
          const problem = `threw "${(error as Error)?.message ?? String(error)}"`;
          throw new RewardError(
            { reward: rewardName(f, i), index: i, row: c.row, completion: c.text, problem },
            { cause: error },
          );
        }
        if (typeof v !== "number" || !Number.isFinite(v)) {
          const got = typeof v === "number" ? String(v) : `a ${typeof v} (${String(v)})`;
          throw new RewardError({
            reward: rewardName(f, i),
            index: i,
            row: c.row,
            completion: c.text,
            problem: `returned ${got}`,
          });
        }
        return v;
      }),
    );
    for (const [k, v] of values.entries()) totals[k] += w * v;
  }
  return totals;
}
