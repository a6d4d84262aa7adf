/**
 * GRPO's micro-batches: each is `batch_size` prompts whose feeds are sampled online. When the trainer asks for
 * them, the values trained so far are loaded into the backbone, `num_generations` completions of each prompt
 * are generated with the KV-cache decoder (its session is released again before the step runs, so the steps
 * hold the frozen weights once), every completion is scored by the reward functions, the advantages are
 * normalised within each prompt's group, and prompt + completion become the GRPO step's feeds.
 * Dimension letters: B completions (prompts × generations), T positions, V vocabulary.
 */
import type { TokenizedDataset, TokenizedExample } from "../../data";
import { type Feeds, tensorValue } from "../../engine";
import type { ExperimentConfig } from "../config";
import {
  groupAdvantages,
  type Policy,
  type ProblemData,
  policyLossWeights,
  type RewardFunction,
  type StepBatch,
} from "../trainer";
import { promptAndAnswer } from "./prompt-and-answer";
import { type ScoredCompletion, scoreCompletions } from "./score-completions";

/** What sampling and scoring need. */
export interface GrpoSampling {
  settings: ExperimentConfig["grpo"];
  rewards: readonly RewardFunction[];
}

/** GRPO's data: its batches, and the sampling settings and rewards its validation uses too. */
export type GrpoData = ProblemData & { readonly sampling: GrpoSampling };

/** The completions of some prompts, generated and scored. */
export interface SampledGroups {
  prompts: number[][];
  completions: { tokenIds: readonly number[]; logProbs: readonly number[]; text: string }[];
  rewards: number[];
  seconds: { generation: number; rewards: number };
}

/**
 * Generates `generations` completions of each prompt with the policy and scores them.
 * @param policy - the model as trained so far
 * @param items - the prompts' examples and source records
 * @param o - settings, rewards, how many completions per prompt, sampling (false: greedy) and seed
 * @returns prompts (repeated per completion), completions, summed rewards, and the time each part took
 * @throws RewardError naming the function and row when a reward cannot be computed
 */
export async function sampleGroups(
  policy: Policy,
  items: readonly { example: TokenizedExample; record: Readonly<Record<string, unknown>> }[],
  o: GrpoSampling & { generations: number; sample: boolean; seed: number },
): Promise<SampledGroups> {
  const t0 = performance.now();
  const backbone = policy.backbone;
  await backbone.updateParameters(new Map(Object.entries(policy.params())));
  const prompts = items.flatMap((it) =>
    Array.from({ length: o.generations }, () => promptAndAnswer(it.example).prompt),
  );
  const s = o.settings;
  let completions: SampledGroups["completions"];
  try {
    completions = await backbone.generate({
      inputIds: prompts,
      maxNewTokens: s.maxCompletionLength,
      ...(o.sample
        ? { doSample: true, temperature: s.temperature, topK: 0, topP: 1 }
        : { doSample: false, temperature: 0 }),
      repetitionPenalty: 1,
      rowSeeds: prompts.map((_, i) => (Math.imul(o.seed ^ 0x27d4eb2d, 16777619) + i) >>> 1),
    });
  } finally {
    // The training step holds the frozen weights; the decoder's copy goes before it runs.
    await backbone.releaseSessions();
  }
  const t1 = performance.now();
  const scored: ScoredCompletion[] = completions.map((c, i) => {
    const it = items[Math.floor(i / o.generations)];
    return { text: c.text, row: it.example.row, record: it.record };
  });
  const rewards = await scoreCompletions(o.rewards, s.rewardWeights ?? undefined, scored);
  const t2 = performance.now();
  return {
    prompts,
    completions,
    rewards,
    seconds: { generation: (t1 - t0) / 1000, rewards: (t2 - t1) / 1000 },
  };
}

/**
 * The GRPO step's feeds for sampled completions: prompt + completion right-padded to one length, the flat
 * index of each completion token, its sampling-time log-probability, the loss weights of the loss type and each
 * completion's advantage.
 * @param g - the sampled groups
 * @param o - vocabulary size, padding id, settings, dropout seed
 * @returns the feeds and the token counts
 */
export function grpoFeeds(
  g: SampledGroups,
  o: { vocabSize: number; padTokenId: number; settings: ExperimentConfig["grpo"]; dropoutSeed: number },
): { feeds: Feeds; numTokens: number; numTargetTokens: number } {
  const B = g.prompts.length;
  const T = Math.max(...g.prompts.map((p, b) => p.length + g.completions[b].tokenIds.length)) - 1;
  const V = o.vocabSize;
  const ids = new BigInt64Array(B * T).fill(BigInt(o.padTokenId));
  const attention = new BigInt64Array(B * T);
  const positions = new BigInt64Array(B * T);
  const index = new BigInt64Array(B * T);
  const oldLogps = new Float32Array(B * T);
  const mask = new Float32Array(B * T);
  let numTokens = 0;
  for (let b = 0; b < B; b++) {
    const c = g.completions[b];
    const seq = [...g.prompts[b], ...c.tokenIds];
    // The graph sees positions 0..T-1; the last token is only predicted, never fed.
    for (let t = 0; t < Math.min(seq.length, T); t++) {
      ids[b * T + t] = BigInt(seq[t]);
      attention[b * T + t] = 1n;
      positions[b * T + t] = BigInt(t);
      numTokens += 1;
    }
    for (let t = 0; t < T; t++) {
      const k = t + 1 - g.prompts[b].length; // the completion token position t predicts
      const inCompletion = k >= 0 && k < c.tokenIds.length;
      index[b * T + t] = BigInt((b * T + t) * V + (inCompletion ? c.tokenIds[k] : 0));
      if (inCompletion) {
        oldLogps[b * T + t] = c.logProbs[k];
        mask[b * T + t] = 1;
      }
    }
  }
  const s = o.settings;
  const advantages = groupAdvantages(g.rewards, s.numGenerations, s.scaleRewards);
  const dims = [B, T];
  const feeds: Feeds = {
    input_ids: tensorValue("int64", dims, ids),
    attention_mask: tensorValue("int64", dims, attention),
    position_ids: tensorValue("int64", dims, positions),
    dropout_seed: tensorValue("int64", [], BigInt64Array.of(BigInt(o.dropoutSeed))),
    token_index: tensorValue("int64", dims, index),
    old_logps: tensorValue("float32", dims, oldLogps),
    loss_weights: tensorValue("float32", dims, policyLossWeights(mask, B, s.lossType)),
    advantages: tensorValue("float32", [B, 1], advantages),
  };
  const numTargetTokens = mask.reduce((a, v) => a + v, 0);
  return { feeds, numTokens, numTargetTokens };
}

/**
 * The prompts of a tokenized dataset as GRPO's training data.
 * @param tokens - prompts (and the reference answers the rewards may read) tokenized as for causal LM
 * @param sampling - settings and reward functions
 * @returns the data, whose batches follow `tokens.batches` (same order, same resume points)
 * @example
 * ```ts
 * const train = grpoBatches(tokenized, { settings: config.grpo, rewards: [(c) => -c.length] });
 * ```
 */
export function grpoBatches(tokens: TokenizedDataset, sampling: GrpoSampling): GrpoData {
  const byRow = new Map(tokens.examples.map((ex) => [ex.row, ex] as const));
  const itemsOf = (rows: number[][]) =>
    rows.map((r) => {
      const example = byRow.get(r[0]) as TokenizedExample;
      return { example, record: tokens.recordAt(example.row) ?? {} };
    });
  return {
    tokens,
    length: tokens.length,
    sampling,
    batches(o) {
      const epoch = tokens.batches(o);
      return {
        numBatches: epoch.numBatches,
        *[Symbol.iterator]() {
          for (const batch of epoch) {
            const items = itemsOf(batch.rows);
            const made: { numTokens: number; numTargetTokens: number; stats?: Record<string, number> } = {
              numTokens: 0,
              numTargetTokens: 0,
            };
            const micro: StepBatch = {
              index: batch.index,
              get numTokens() {
                return made.numTokens;
              },
              get numTargetTokens() {
                return made.numTargetTokens;
              },
              get stats() {
                return made.stats;
              },
              async feeds(dropoutSeed: number, policy?: Policy) {
                if (!policy) throw new Error("GRPO batches are sampled from the policy; pass it to feeds()");
                const g = await sampleGroups(policy, items, {
                  ...sampling,
                  generations: sampling.settings.numGenerations,
                  sample: true,
                  seed: dropoutSeed,
                });
                const f = grpoFeeds(g, {
                  vocabSize: policy.backbone.config.vocabSize,
                  padTokenId: tokens.padTokenId,
                  settings: sampling.settings,
                  dropoutSeed,
                });
                made.numTokens = f.numTokens;
                made.numTargetTokens = f.numTargetTokens;
                made.stats = {
                  reward: g.rewards.reduce((a, r) => a + r, 0) / g.rewards.length,
                  completion_length: f.numTargetTokens / g.completions.length,
                  generation_seconds: g.seconds.generation,
                  reward_seconds: g.seconds.rewards,
                };
                return f.feeds;
              },
            };
            yield micro;
          }
        },
      };
    },
  };
}
