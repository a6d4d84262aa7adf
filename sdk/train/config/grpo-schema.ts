/**
 * The `grpo` settings group: GRPO's online RL settings, with TRL's `GRPOConfig` names and defaults where they
 * apply. Read only when `problem_type: grpo`. The reward functions themselves are code: passed in the SDK with
 * `Experiment.problem("grpo", { rewards })`, or named as module files in `reward_modules` (YAML and the CLI).
 */
import { z } from "zod";

/** GRPO's settings (camelCase; YAML spells them snake_case). */
export const grpoSchema = z
  .object({
    numGenerations: z
      .number()
      .int()
      .min(2)
      .max(1024)
      .default(8)
      .describe("completions sampled per prompt (the group whose rewards are compared)"),
    maxCompletionLength: z
      .number()
      .int()
      .min(1)
      .max(65_536)
      .default(256)
      .describe("longest sampled completion, in tokens"),
    temperature: z.number().gt(0).max(10).default(1).describe("sampling temperature of the completions"),
    beta: z
      .number()
      .min(0)
      .default(0)
      .describe(
        "weight of the KL term against the base model with the adapters off (0 = none, TRL's default)",
      ),
    epsilon: z.number().gt(0).max(1).default(0.2).describe("lower clipping ε of the probability ratio"),
    epsilonHigh: z
      .number()
      .gt(0)
      .nullable()
      .default(null)
      .describe("upper clipping ε (DAPO recommends 0.28); null = epsilon"),
    lossType: z
      .enum(["dapo", "grpo", "bnpo"])
      .default("dapo")
      .describe(
        "normalisation: dapo (mean over the completion tokens of the accumulated batch), grpo (mean per completion, then over completions), bnpo (mean over the micro-batch's completion tokens)",
      ),
    scaleRewards: z
      .enum(["group", "batch", "none"])
      .default("group")
      .describe(
        "advantages divided by the rewards' standard deviation in the group, the batch, or not at all",
      ),
    rewardWeights: z
      .array(z.number())
      .nullable()
      .default(null)
      .describe("one weight per reward function; null = all 1"),
    rewardModules: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "files (.js/.mjs/.cjs, relative to the working directory) whose default export is a reward function or an array of them; used with those passed in code",
      ),
  })
  .strict();
