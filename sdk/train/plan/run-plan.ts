/**
 * The memory and time plan of a training run, from the model's configuration and the run's settings alone: peak
 * memory as a sum of named components (weights, onnxruntime's prepacked copy, activations, the LM head and
 * loss, LoRA and optimizer state, the runtime), and the step time as FLOPs over this machine's measured matmul
 * throughput. Every coefficient comes from {@link PLAN_COEFFICIENTS}. Dimension letters: B batch, T time
 * (max length), C hidden, I intermediate, H heads, K key/value heads, D head size, V vocabulary, L layers.
 */
import type { DecoderConfig } from "../../models";
import { countParameters, loraParameterCount, type ParameterCounts } from "./parameter-counts";
import { PLAN_COEFFICIENTS, type PlanCoefficients, type PlanDtype } from "./plan-coefficients";

/** What a plan is computed from. */
export interface PlanInputs {
  /** The model's normalised configuration (its config.json). */
  readonly model: DecoderConfig;
  /** B: rows per micro-batch (`training.batch_size`). */
  readonly batchSize: number;
  /**
   * T: the longest row (`tokenizer.max_length`; batches are padded to their longest row, at most this). With
   * {@link packing}, the rows are filled to about this length, so the plan is the typical step, not the worst.
   */
  readonly maxLength: number;
  /** `training.packing`: several samples per row of `maxLength` tokens (the same memory and work per row). */
  readonly packing?: boolean;
  /** LoRA targets and rank; absent for full fine-tuning. */
  readonly lora?: { readonly targets: readonly string[] | "all-linear"; readonly r: number };
  /** `architecture.backbone_dtype` (default float32). */
  readonly backboneDtype?: PlanDtype;
  /** `architecture.gradient_checkpointing`. */
  readonly gradientCheckpointing?: boolean;
  /** The LM head and cross-entropy computed in chunks of tokens. */
  readonly chunkedLmHead?: boolean;
  /** `training.grad_accumulation` (> 1 keeps an accumulated gradient). */
  readonly gradAccumulation?: number;
  /** Metrics scoring generated text are computed during training (an inference session at each evaluation). */
  readonly generationDuringTraining?: boolean;
  /** Plan a whole `fit()` (tokenizer, data, subscribers) rather than the bare training step of the benchmark. */
  readonly experiment?: boolean;
}

/** One named part of the predicted peak. */
export interface PlanComponent {
  readonly name: string;
  readonly bytes: number;
  /** Built on provisional coefficients (a setting this build has not been measured with). */
  readonly provisional: boolean;
}

/** A plan's memory and work, before the machine's throughput is known. */
export interface MemoryPlan {
  readonly inputs: PlanInputs;
  readonly parameters: ParameterCounts;
  readonly trainableParameters: number;
  readonly components: readonly PlanComponent[];
  /** The predicted peak resident memory: the sum of the components. */
  readonly peakBytes: number;
  /** FLOPs of one optimizer micro-step (forward and backward over B·T tokens). */
  readonly stepFlops: number;
}

/**
 * The predicted peak memory and step FLOPs of a training run.
 * @param inputs - the model configuration and the run's settings
 * @param k - the coefficients (default {@link PLAN_COEFFICIENTS})
 * @returns the components, their sum and the step's FLOPs
 * @example
 * ```ts
 * const plan = planMemory({ model: backbone.config, batchSize: 4, maxLength: 256, lora: { targets: "all-linear", r: 8 } });
 * console.log(plan.peakBytes / 2 ** 30, "GiB");
 * ```
 */
export function planMemory(inputs: PlanInputs, k: PlanCoefficients = PLAN_COEFFICIENTS): MemoryPlan {
  const c = inputs.model;
  const dtype = inputs.backboneDtype ?? "float32";
  const quantized = dtype !== "float32";
  const p = countParameters(c);
  const tokens = inputs.batchSize * inputs.maxLength;
  const full = inputs.lora === undefined;
  const trainable = full ? p.total : loraParameterCount(c, inputs.lora.targets, inputs.lora.r);
  const frozenLinear = full ? 0 : p.linear + p.lmHead;
  const frozenOther = full ? 0 : p.embedding + p.norms;
  const a = k.activations;
  const qkv = (c.numHeads + 2 * c.numKvHeads) * c.headDim;
  const perLayerToken = inputs.gradientCheckpointing
    ? k.checkpointedPerC * c.hiddenSize
    : a.perC * c.hiddenSize +
      a.perQkv * qkv +
      a.perI * c.intermediateSize +
      a.perHT * c.numHeads * inputs.maxLength;
  // With recomputation one layer's full activations are alive again during its backward.
  const recomputed = inputs.gradientCheckpointing
    ? tokens *
      4 *
      (a.perC * c.hiddenSize +
        a.perQkv * qkv +
        a.perI * c.intermediateSize +
        a.perHT * c.numHeads * inputs.maxLength)
    : 0;
  // The fused head (a frozen head: LoRA off lm_head) holds one `[B·T, chunk]` block of scores at a time and reads
  // the head weight by slices, which onnxruntime does not prepack; the plain head holds `[B·T, V]` tensors.
  const chunked = inputs.chunkedLmHead === true && !full;
  const headBytes = chunked
    ? k.headChunkTensors * tokens * Math.min(k.headChunkVocab, c.vocabSize) * 4
    : k.headTensors * tokens * c.vocabSize * 4;
  const copies = k.trainableCopies + ((inputs.gradAccumulation ?? 1) > 1 ? k.accumulationCopies : 0);
  const components: PlanComponent[] = [
    {
      name: full ? "trained weights, gradients and AdamW state" : `frozen weights (${dtype})`,
      bytes: full ? 0 : frozenLinear * k.linearBytes[dtype] + frozenOther * k.embeddingBytes[dtype],
      provisional: false,
    },
    {
      name: "prepacked copy (onnxruntime)",
      bytes: full ? 0 : (chunked ? p.linear : p.matmul) * k.prepackBytes[dtype],
      provisional: false,
    },
    {
      name: `activations (${c.numLayers} layers × ${tokens} tokens)`,
      bytes:
        c.numLayers *
          tokens *
          4 *
          perLayerToken *
          (quantized && !inputs.gradientCheckpointing ? k.quantizedActivationFactor : 1) +
        recomputed,
      provisional: false,
    },
    {
      name: "LM head and loss",
      bytes: headBytes,
      provisional: false,
    },
    {
      name: full ? "trained weights, gradients and AdamW state" : "LoRA and AdamW state",
      bytes: trainable * 4 * copies,
      provisional: false,
    },
    {
      name: inputs.experiment ? "runtime, tokenizer and data" : "runtime",
      bytes: k.runtimeBytes + (inputs.experiment ? k.experimentRuntimeBytes : 0),
      provisional: false,
    },
  ];
  if (inputs.generationDuringTraining && !full) {
    components.push({
      name: "inference session at evaluations (generated-text metrics)",
      bytes:
        frozenLinear * k.linearBytes[dtype] +
        frozenOther * k.embeddingBytes[dtype] +
        p.matmul * k.prepackInferenceBytes[dtype],
      provisional: quantized,
    });
  }
  const kept = components.filter((x) => x.bytes > 0);
  const peakBytes = kept.reduce((n, x) => n + x.bytes, 0);
  return {
    inputs,
    parameters: p,
    trainableParameters: trainable,
    components: kept,
    peakBytes,
    stepFlops: stepFlops(inputs, p, k),
  };
}

/** FLOPs of one micro-step: 2 per weight per token forward, attention's QKᵀ and PV, times the backward's factor. */
function stepFlops(inputs: PlanInputs, p: ParameterCounts, k: PlanCoefficients): number {
  const c = inputs.model;
  const T = inputs.maxLength;
  const tokens = inputs.batchSize * T;
  const attention = 4 * tokens * T * c.numHeads * c.headDim * c.numLayers;
  const forward = 2 * tokens * p.matmul + attention;
  const factor = inputs.lora === undefined ? k.backwardFactor.full : k.backwardFactor.lora;
  return forward * factor + (inputs.gradientCheckpointing ? forward * k.recomputeForwardFraction : 0);
}

/**
 * Predicted seconds per micro-step from the plan's FLOPs and a measured matmul throughput.
 * @param plan - from {@link planMemory}
 * @param flopsPerSecond - from `matmulThroughput()`
 * @param k - the coefficients
 * @returns seconds
 * @example
 * ```ts
 * const seconds = stepSeconds(plan, await matmulThroughput());
 * ```
 */
export function stepSeconds(
  plan: MemoryPlan,
  flopsPerSecond: number,
  k: PlanCoefficients = PLAN_COEFFICIENTS,
): number {
  return plan.stepFlops / (flopsPerSecond * k.stepEfficiency);
}
