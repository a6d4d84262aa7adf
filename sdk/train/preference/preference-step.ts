/**
 * The preference-pair training step on a backbone: one forward over a batch whose rows are the chosen answers
 * and the rejected answers of P pairs (`chosen_rows` and `rejected_rows` say which row is which), the
 * per-sequence answer log-probabilities of the policy (the backbone with its LoRA adapters), those of the
 * reference model (the same graph's frozen base with the adapters off, one copy of every weight, no
 * gradient) when the loss uses one, the loss, and the fused AdamW step. Extra outputs give, per pair, the
 * log-probabilities the loss used and the implicit rewards, for the validation metrics.
 * Dimension letters: B rows (2P), T time, P pairs.
 */
import type { Batch } from "../../data";
import { div, type Feeds, gather, neg, reduceSum, type Tensor, tensorValue } from "../../engine";
import type { Backbone } from "../../models";
import { type BackboneStep, type BackboneStepSettings, compileBackboneStep } from "../trainer/backbone-step";
import { batchFeeds } from "../trainer/causal-lm-step";
import { sequenceLogProbs } from "../trainer/sequence-log-probs";
import {
  lossNeeds,
  type PairLogProbs,
  type PreferenceLossSettings,
  preferenceLoss,
} from "./preference-losses";

/** Options of {@link createPreferenceStep}. */
export interface PreferenceStepOptions extends BackboneStepSettings {
  /** The model; its LoRA adapters are trained (a reference model needs a frozen base). */
  backbone: Backbone;
  /** The loss and its settings. */
  loss: PreferenceLossSettings;
  /** Recompute each policy layer in the backward instead of keeping its activations. */
  gradientCheckpointing?: boolean;
  /** Vocabulary rows per chunk of the fused head (0: the plain head and `[B·T, V]` logits). */
  lossChunkSize?: number;
}

/** The names of the step's per-pair extra outputs. */
export const PAIR_OUTPUTS = ["chosen_logps", "rejected_logps", "chosen_rewards", "rejected_rewards"] as const;

/**
 * The loss graph of a preference step on `backbone` (uncompiled), with its extra outputs.
 * @param options - backbone, loss settings, recomputation, chunk size
 * @returns the loss, trainable parameters, `train` input and per-pair outputs
 * @throws Error when the loss needs a reference model and the backbone trains its base weights
 * @example
 * ```ts
 * const { loss, extraOutputs } = buildPreferenceLoss({ backbone, loss: settings });
 * ```
 */
export function buildPreferenceLoss(options: Omit<PreferenceStepOptions, keyof BackboneStepSettings>): {
  loss: Tensor;
  params: readonly Tensor[];
  train: Tensor;
  extraOutputs: Record<(typeof PAIR_OUTPUTS)[number], Tensor>;
} {
  const { backbone } = options;
  const policy = backbone.buildGraph({
    training: true,
    gradientCheckpointing: options.gradientCheckpointing,
  });
  const g = policy.graph;
  const labels = g.input("labels", "int64", ["B", "T"]);
  const chosenRows = g.input("chosen_rows", "int64", ["P"]);
  const rejectedRows = g.input("rejected_rows", "int64", ["P"]);
  const train = g.input("train", "bool", []);
  const needs = lossNeeds(options.loss);
  const chunkSize = options.lossChunkSize;
  const pol = sequenceLogProbs(policy, labels, { chunkSize, withGrad: train });
  const pick = (perRow: Tensor) => ({
    chosen: gather(perRow, chosenRows),
    rejected: gather(perRow, rejectedRows),
  });
  const lp: PairLogProbs = pick(needs.lengthNormalised ? pol.mean : pol.sum);
  if (needs.reference) {
    const reference = backbone.buildReferenceGraph(policy);
    const noGrad = g.constant(Uint8Array.of(0), "bool", []);
    const ref = sequenceLogProbs(reference, labels, { chunkSize, withGrad: noGrad });
    const picked = pick(needs.lengthNormalised ? ref.mean : ref.sum);
    lp.refChosen = picked.chosen;
    lp.refRejected = picked.rejected;
  }
  if (needs.chosenNll) {
    const chosen = pick(pol.sum).chosen;
    lp.chosenNll = div(neg(reduceSum(chosen, [0])), reduceSum(gather(pol.tokens, chosenRows), [0]));
  }
  const { loss, chosenRewards, rejectedRewards } = preferenceLoss(options.loss, lp);
  return {
    loss,
    params: policy.trainableParams,
    train,
    extraOutputs: {
      chosen_logps: lp.chosen,
      rejected_logps: lp.rejected,
      chosen_rewards: chosenRewards,
      rejected_rewards: rejectedRewards,
    },
  };
}

/**
 * Builds and compiles the preference training step for a backbone.
 * @param options - backbone, loss settings, optimizer, clipping, accumulation
 * @returns the step (fresh AdamW moments) and its trainable names
 * @throws Error when the backbone has nothing to train, or a reference loss meets full fine-tuning
 * @example
 * ```ts
 * const { step } = await createPreferenceStep({ backbone, loss: { lossFunction: "DPOLoss", beta: 0.1, simpoGamma: 1, labelSmoothing: 0, cpoAlpha: 1 } });
 * const { loss, outputs } = await step.step(pairFeeds(batch, 0), { lr: 1e-4 });
 * ```
 */
export async function createPreferenceStep(options: PreferenceStepOptions): Promise<BackboneStep> {
  const built = buildPreferenceLoss(options);
  return compileBackboneStep(options.backbone, built, options);
}

/**
 * The feeds of a pair batch: its first half of rows are the chosen answers, its second half the rejected ones,
 * in the same pair order.
 * @param batch - a tokenized batch of 2P rows
 * @param dropoutSeed - this step's dropout seed (negative: none)
 * @returns the data feeds of a step built by {@link createPreferenceStep}
 * @throws Error when the batch has an odd number of rows
 * @example
 * ```ts
 * await step.step(pairFeeds(batch, stepNumber), { lr });
 * ```
 */
export function pairFeeds(batch: Batch, dropoutSeed: number): Feeds {
  if (batch.batchSize % 2 !== 0)
    throw new Error(`a pair batch holds chosen rows then rejected rows; got ${batch.batchSize} rows`);
  const pairs = batch.batchSize / 2;
  const rows = (from: number) => BigInt64Array.from({ length: pairs }, (_, i) => BigInt(from + i));
  return {
    ...batchFeeds(batch, dropoutSeed),
    chosen_rows: tensorValue("int64", [pairs], rows(0)),
    rejected_rows: tensorValue("int64", [pairs], rows(pairs)),
  };
}
