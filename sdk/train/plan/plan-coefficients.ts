/**
 * The coefficients of the memory and time plan, in one table so they can be recalibrated (run
 * `node dist/bench/train/plan-accuracy.js` after a change to the step graph or the engine, and update the values
 * marked `measured`). Values marked `provisional` are estimates for settings this build cannot measure yet
 * (quantized and half-precision bases, a chunked LM head, recomputation); replace them with measurements when those
 * land. Dimension letters: B batch, T time (max length), C hidden, I intermediate, H heads, K key/value heads,
 * D head size, V vocabulary, L layers.
 */

/** The dtypes a frozen backbone can be held in (`architecture.backbone_dtype`). */
export type PlanDtype = "float32" | "float16" | "bfloat16" | "int8" | "int4";

/** The plan's coefficients (bytes unless named otherwise). */
export interface PlanCoefficients {
  /** Bytes per frozen linear-layer weight, by `backbone_dtype` (scales of quantized blocks included). */
  readonly linearBytes: Readonly<Record<PlanDtype, number>>;
  /** Bytes per embedding and norm weight, by `backbone_dtype` (the embedding is not quantized). */
  readonly embeddingBytes: Readonly<Record<PlanDtype, number>>;
  /**
   * onnxruntime's prepacked copy of the frozen matmul weights in the training session, in bytes per weight, by
   * dtype (the LM head included): the forward `x·Wᵀ` and the backward `dY·W` may each pack their own layout.
   */
  readonly prepackBytes: Readonly<Record<PlanDtype, number>>;
  /** Same, in an inference session (forward or generation), which packs one layout. */
  readonly prepackInferenceBytes: Readonly<Record<PlanDtype, number>>;
  /** Float32 values per token per decoder layer held for the backward: coefficients of C, (H+2K)·D, I and H·T. */
  readonly activations: {
    readonly perC: number;
    readonly perQkv: number;
    readonly perI: number;
    readonly perHT: number;
  };
  /**
   * Activations of a quantized base over a float32 one, without recomputation (the backward's dequantized
   * weights and the quantized matmuls' buffers live alongside them).
   */
  readonly quantizedActivationFactor: number;
  /** Share of a forward's FLOPs the backward's replay adds with recomputation (the replay skips o/down_proj). */
  readonly recomputeForwardFraction: number;
  /** Float32 values per token per layer kept with recomputation (`gradient_checkpointing`): coefficient of C. */
  readonly checkpointedPerC: number;
  /** `[B·T, V]`-sized float32 tensors alive at once around the LM head and the cross-entropy. */
  readonly headTensors: number;
  /** Vocabulary rows per chunk of the fused LM head and loss (`lossChunkSize`, default 8192). */
  readonly headChunkVocab: number;
  /** `[B·T, chunk]`-sized float32 tensors alive at once in the fused head (scores, their exponentials, products). */
  readonly headChunkTensors: number;
  /** Float32 copies per trainable value: value, gradient, AdamW moments, and the step's outputs. */
  readonly trainableCopies: number;
  /** Extra float32 copies per trainable value with gradient accumulation. */
  readonly accumulationCopies: number;
  /** Node.js and onnxruntime: the process before any model is compiled (the benchmark's worker). */
  readonly runtimeBytes: number;
  /** What `fit()` adds to that: the tokenizer, the data and its tokenized batches, the event subscribers. */
  readonly experimentRuntimeBytes: number;
  /** Step FLOPs per forward FLOP: LoRA (data gradients only) and full fine-tuning (weight gradients too). */
  readonly backwardFactor: { readonly lora: number; readonly full: number };
  /** A whole training step's FLOP/s over the calibration matmul's (above 1: the step's matmuls are larger). */
  readonly stepEfficiency: number;
}

/**
 * The one table of coefficients.
 * @example
 * ```ts
 * const weightsBytes = params * PLAN_COEFFICIENTS.linearBytes.int8;
 * ```
 */
export const PLAN_COEFFICIENTS: PlanCoefficients = {
  // float32 measured. int8/int4 measured on the mid shape (docs/benchmarks.md, "The plan against measurements"):
  // stored per weight, the MatMulNBits blocks (int8: 1 byte, int4: 0.5, plus a float32 scale per 32) and the
  // backward's int8 row copy (1 byte); float16/bfloat16 are computed as float32 on the CPU provider.
  linearBytes: { float32: 4, float16: 4, bfloat16: 4, int8: 2.125, int4: 1.64 },
  embeddingBytes: { float32: 4, float16: 4, bfloat16: 4, int8: 4, int4: 4 },
  // Per weight in the training session: onnxruntime's prepacked copies (float32 measured; int8/int4: what
  // MatMulNBits packs beyond its blocks, fitted on the Qwen2.5-0.5B shape with recomputation, where activations
  // are small, and checked on the mid shape).
  prepackBytes: { float32: 4, float16: 4, bfloat16: 4, int8: 0.155, int4: 0.16 },
  prepackInferenceBytes: { float32: 4, float16: 4, bfloat16: 4, int8: 1.1, int4: 0.6 }, // int8/int4 provisional
  activations: { perC: 8, perQkv: 3, perI: 4, perHT: 1 }, // measured (fitted on the tiny and mid shapes, checked on SmolLM2)
  quantizedActivationFactor: 1.2, // measured: 1.17–1.23 on the mid and Qwen2.5-0.5B shapes, int8 and int4
  // Measured on the Qwen2.5-0.5B shape (B 4, T 512): 20.7 s per step with recomputation, 18.6 s without.
  recomputeForwardFraction: 0.25,
  checkpointedPerC: 2, // measured (mid shape, 4 × 256: plan −2%; Qwen2.5-0.5B, 4 × 512: −1%)
  headTensors: 6, // measured
  headChunkVocab: 8192, // the step's default chunk
  headChunkTensors: 3, // measured with the fused head (tiny, mid, SmolLM2: −3% to +2% overall)
  trainableCopies: 10, // provisional (value, gradient, two moments, the step's three outputs, their feeds)
  accumulationCopies: 1,
  runtimeBytes: 140 * 2 ** 20, // measured
  experimentRuntimeBytes: 300 * 2 ** 20, // measured once (mid shape: fit() against the benchmark's worker)
  backwardFactor: { lora: 2, full: 3 },
  // Measured on a quiet machine (load ≈ 1.5): the calibration 1024³ product ran at 361 GFLOP/s with 2 threads;
  // the mid and SmolLM2 shapes' steps (B 4, T 256) ran at 0.62 of that. Tiny models run below it (small ops).
  stepEfficiency: 0.62,
};
