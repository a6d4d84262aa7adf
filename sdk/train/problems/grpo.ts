/**
 * `grpo`: Group Relative Policy Optimization, online RL with rewards written as TypeScript functions. Each
 * training micro-batch samples `grpo.num_generations` completions of each of its prompts from the model as
 * trained so far, scores them, normalises the rewards within each prompt's group into advantages, and trains
 * the clipped policy loss on the completion tokens (TRL's `GRPOTrainer`, β = 0). Validation writes one greedy
 * completion per validation prompt and reports their mean `reward` (its loss is the negative mean reward).
 */
import * as path from "node:path";
import { DatasetError } from "../../data";
import { ConfigError, type ConfigIssue } from "../../errors";
import type { ExperimentConfig } from "../config";
import {
  createGrpoStep,
  type ProblemFunctions,
  type ProblemType,
  type RewardFunction,
  type RunMetric,
} from "../trainer";
import { type GrpoData, type GrpoSampling, grpoBatches, sampleGroups } from "./grpo-batches";
import { tokenizeOptions } from "./tokenize-options";

/** The mean reward of the validation prompts' greedy completions; it picks the best checkpoint. */
const rewardMetric: RunMetric = {
  name: "reward",
  direction: "max",
  compute: async (input: { value: number }) => ({ value: input.value }),
};

/** Loads the default export of each `grpo.reward_modules` file: a reward function or an array of them. */
async function rewardModules(files: readonly string[]): Promise<RewardFunction[]> {
  const out: RewardFunction[] = [];
  for (const [i, file] of files.entries()) {
    const where = ["grpo", "reward_modules", i];
    let mod: { default?: unknown };
    try {
      // Compiled to CommonJS, this is `require`: .cjs and .js files, and ES modules without top-level await.
      mod = await import(path.resolve(file));
    } catch (error) {
      const message = `cannot load reward module '${file}': ${(error as Error).message}`;
      throw new ConfigError([{ path: where, message }], { cause: error });
    }
    const d = (mod.default as { default?: unknown } | undefined)?.default ?? mod.default;
    const fns = Array.isArray(d) ? d : [d];
    if (!fns.length || fns.some((f) => typeof f !== "function")) {
      const message = `reward module '${file}' must default-export a function (completion, row) => number, or an array of them`;
      throw new ConfigError([{ path: where, message }]);
    }
    out.push(...(fns as RewardFunction[]));
  }
  return out;
}

/** The reward functions of a run: those given in code, then those of `grpo.reward_modules`. */
async function rewardsOf(config: ExperimentConfig, functions?: ProblemFunctions): Promise<RewardFunction[]> {
  const given = functions?.rewards ?? [];
  for (const [i, f] of given.entries()) {
    if (typeof f !== "function") {
      throw new ConfigError([
        { path: ["rewards", i], message: `expected a function (completion, row) => number, got ${typeof f}` },
      ]);
    }
  }
  const rewards = [...given, ...(await rewardModules(config.grpo.rewardModules))];
  if (rewards.length === 0) {
    const message =
      'GRPO needs reward functions: Experiment.problem("grpo", { rewards: [(completion, row) => number] }) or grpo.reward_modules';
    throw new ConfigError([{ path: ["grpo", "reward_modules"], message }]);
  }
  const weights = config.grpo.rewardWeights;
  if (weights && weights.length !== rewards.length) {
    const message = `expected one weight per reward function (${rewards.length}), got ${weights.length}`;
    throw new ConfigError([{ path: ["grpo", "reward_weights"], message }]);
  }
  return rewards;
}

/** The GRPO problem type. */
export const grpo: ProblemType = {
  name: "grpo",
  produces: "text",
  metricNames: ["reward"],
  check(config) {
    const issues: ConfigIssue[] = [];
    if (config.grpo.beta > 0 && !config.lora.enabled) {
      issues.push({
        path: ["grpo", "beta"],
        message:
          "the KL term's reference is the base model under the LoRA adapters; with full fine-tuning set grpo.beta: 0 or enable lora",
      });
    }
    return issues;
  },
  metrics: () => [rewardMetric],
  async prepare({ config, dataset, tokenizer, onWarning, functions }) {
    const rewards = await rewardsOf(config, functions);
    const { train, validation } = await dataset.prepare({
      tokenizer,
      ...tokenizeOptions(config),
      onWarning: (w) => onWarning(w.message),
    });
    const sampling: GrpoSampling = { settings: config.grpo, rewards };
    return {
      train: grpoBatches(train, sampling),
      validation: validation && grpoBatches(validation, sampling),
    };
  },
  createStep: (o) =>
    createGrpoStep({
      ...o,
      epsilonLow: o.config.grpo.epsilon,
      epsilonHigh: o.config.grpo.epsilonHigh ?? o.config.grpo.epsilon,
      beta: o.config.grpo.beta,
      temperature: o.config.grpo.temperature,
    }),
  async validate({ data, batchSize, policy }) {
    if (!policy) throw new Error("GRPO validation generates with the policy; pass it to validate()");
    const sampling = (data as Partial<GrpoData>).sampling;
    if (!sampling)
      throw new DatasetError("GRPO validation data must come from the grpo problem type's prepare");
    let sum = 0;
    const examples = data.tokens.examples;
    for (let i = 0; i < examples.length; i += batchSize) {
      const items = examples.slice(i, i + batchSize).map((example) => ({
        example,
        record: data.tokens.recordAt(example.row) ?? {},
      }));
      const g = await sampleGroups(policy, items, { ...sampling, generations: 1, sample: false, seed: 0 });
      sum += g.rewards.reduce((a, r) => a + r, 0);
    }
    const reward = sum / examples.length;
    return { loss: -reward, metrics: { reward }, generated: [], warnings: [] };
  },
};
