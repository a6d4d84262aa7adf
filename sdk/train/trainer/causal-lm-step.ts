/**
 * The causal-LM training step on a backbone: the forward graph with its trainable tensors (LoRA, or every
 * weight for full fine-tuning), the mean cross-entropy over labelled positions, and the fused AdamW step.
 * The trainer, the benchmarks and the examples all build their step here, so they measure the same thing.
 * When the LM head is frozen (LoRA not on `lm_head`, no full fine-tuning), the head and the loss are one fused
 * op over chunks of the vocabulary (`linearCrossEntropy`): the `[B·T, V]` logits are never materialised.
 * Dimension letters: B batch, T time, C hidden, V vocabulary.
 */
import type { Batch } from "../../data";
import {
  crossEntropy,
  type Feeds,
  linearCrossEntropy,
  reshape,
  type Tensor,
  type TrainStep,
  tensorValue,
} from "../../engine";
import type { Backbone, DecoderGraph } from "../../models";
import { compileBackboneStep } from "./backbone-step";
import { frozenLmHead } from "./frozen-lm-head";

/** Options of {@link createCausalLmStep}. */
export interface CausalLmStepOptions {
  /** The model; its LoRA adapters are trained, or every weight with `trainBase`. */
  backbone: Backbone;
  /** Full fine-tuning: train every backbone weight (small models only). */
  trainBase?: boolean;
  /** AdamW settings. */
  optimizer?: { beta1?: number; beta2?: number; eps?: number; weightDecay?: number };
  /** Clip the global gradient norm to this (0 or absent: no clipping). */
  maxGradNorm?: number;
  /** NEFTune noise α on the embeddings (0 or absent: none); a negative dropout seed turns it off. */
  neftuneAlpha?: number;
  /** Build the gradient-accumulation variant. */
  accumulate?: boolean;
  /** Recompute each decoder layer in the backward instead of keeping its activations (less memory, slower). */
  gradientCheckpointing?: boolean;
  /** File name of the step model inside the backbone's folder (default `train-step.onnx`). */
  fileName?: string;
  /**
   * Vocabulary rows per chunk of the fused LM head and cross-entropy, used when the head is frozen (default
   * 8192, `DEFAULT_LOSS_CHUNK_SIZE`); 0 keeps the plain head and `crossEntropy`, which materialise the
   * `[B·T, V]` logits (for comparisons).
   */
  lossChunkSize?: number;
}

/** A compiled causal-LM step and the names of what it trains. */
export interface CausalLmStep {
  step: TrainStep;
  /** Trainable tensor names (PEFT names for LoRA, Hugging Face names for full fine-tuning). */
  paramNames: string[];
  /** Their shapes, by name. */
  shapes: Record<string, number[]>;
}

/**
 * Builds and compiles the training step for a backbone.
 * @param options - backbone, full or LoRA, optimizer, clipping, accumulation
 * @returns the step (fresh AdamW moments) and its trainable names
 * @throws Error when the backbone has nothing to train (no LoRA and no `trainBase`), or for a `lossChunkSize`
 *   that is neither 0 nor a positive integer
 * @example
 * ```ts
 * const { step } = await createCausalLmStep({ backbone, maxGradNorm: 1 });
 * const { loss } = await step.step(batchFeeds(batch, 0), { lr: 2e-4 });
 * ```
 */
export async function createCausalLmStep(options: CausalLmStepOptions): Promise<CausalLmStep> {
  const { backbone } = options;
  const built = backbone.buildGraph({
    training: true,
    trainBase: options.trainBase,
    neftuneAlpha: options.neftuneAlpha,
    gradientCheckpointing: options.gradientCheckpointing,
  });
  const { loss, train } = causalLmLoss(built, options.lossChunkSize);
  return compileBackboneStep({ backbone, built, loss, train, options });
}

/**
 * The mean cross-entropy over labelled positions: fused and chunked when the head is frozen (reading the
 * step's `train` input, so evaluation computes no gradient), the plain logits and `crossEntropy` otherwise.
 */
function causalLmLoss(built: DecoderGraph, chunkSize?: number): { loss: Tensor; train?: Tensor } {
  if (chunkSize !== undefined && !(Number.isInteger(chunkSize) && chunkSize >= 0)) {
    throw new Error(
      `createCausalLmStep: lossChunkSize must be 0 (the plain head) or a positive integer, got ${chunkSize}`,
    );
  }
  const g = built.graph;
  const labels = reshape(g.input("labels", "int64", ["B", "T"]), ["B*T"]);
  const weight = chunkSize === 0 ? undefined : frozenLmHead(built);
  if (!weight) {
    const V = built.logits.shape[built.logits.rank - 1];
    return { loss: crossEntropy(reshape(built.logits, ["B*T", V]), labels) };
  }
  const train = g.input("train", "bool", []);
  const hidden = reshape(built.hidden, ["B*T", built.hidden.shape[2]]);
  return { loss: linearCrossEntropy(hidden, weight, labels, { chunkSize, withGrad: train }), train };
}

/**
 * The feeds of one batch for a step built by {@link createCausalLmStep}.
 * @param batch - a batch from `TokenizedDataset.batches`
 * @param dropoutSeed - seed of this step's dropout masks (vary it per step for fresh masks; negative: no dropout)
 * @returns the data feeds
 * @example
 * ```ts
 * await step.step(batchFeeds(batch, stepNumber), { lr });
 * ```
 */
export function batchFeeds(batch: Batch, dropoutSeed: number): Feeds {
  const dims = [batch.batchSize, batch.seqLen];
  return {
    input_ids: tensorValue("int64", dims, batch.inputIds),
    attention_mask: tensorValue("int64", dims, batch.attentionMask),
    position_ids: tensorValue("int64", dims, batch.positionIds),
    labels: tensorValue("int64", dims, batch.labels),
    dropout_seed: tensorValue("int64", [], BigInt64Array.of(BigInt(dropoutSeed))),
  };
}
