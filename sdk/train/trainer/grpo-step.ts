/**
 * The GRPO training step on a backbone: the forward graph over prompt + completion, the log-probability of each
 * completion token under the temperature-scaled logits (as TRL computes them), and the clipped policy loss on
 * it, compiled as one fused AdamW step. Inputs besides the backbone's (`input_ids`, `attention_mask`,
 * `position_ids`, `dropout_seed`): `token_index` `[B, T]` int64 (the flat index `(b·T + t)·V + next token` of
 * the token position t predicts), `old_logps` and `loss_weights` `[B, T]`, `advantages` `[B, 1]`. The logits
 * are materialised (`[B·T, V]`). With β > 0 the KL term's reference is the frozen base with the adapters off,
 * built into the same graph over the same frozen weights (`Backbone.buildReferenceGraph`: one copy of them).
 * Dimension letters: B completions, T positions, V vocabulary.
 */
import { gather, logSoftmax, mul, mulDims, reshape, type Tensor } from "../../engine";
import type { DecoderGraph } from "../../models";
import { type BackboneStep, compileBackboneStep } from "./backbone-step";
import type { CausalLmStepOptions } from "./causal-lm-step";
import { clippedPolicyLoss, type PolicyLossOptions } from "./policy-loss";

/** Options of {@link createGrpoStep}. */
export type GrpoStepOptions = Omit<CausalLmStepOptions, "lossChunkSize"> &
  PolicyLossOptions & {
    /** Sampling temperature: the log-probabilities are those of `logits / temperature`. */
    temperature: number;
  };

/**
 * The log-probability of each position's next token, `[B, T]`, under `logits / temperature`.
 * @param built - the backbone's graph
 * @param tokenIndex - `[B, T]` int64 flat indices into the `[B, T, V]` log-probabilities
 * @param temperature - the sampling temperature
 * @returns the per-token log-probabilities
 */
function tokenLogProbs(built: DecoderGraph, tokenIndex: Tensor, temperature: number): Tensor {
  const logits = temperature === 1 ? built.logits : mul(built.logits, 1 / temperature);
  const flat = reshape(logSoftmax(logits), [mulDims(...logits.shape)]);
  const [B, T] = tokenIndex.shape;
  return reshape(gather(flat, reshape(tokenIndex, [mulDims(B, T)]), 0), [B, T]);
}

/**
 * Builds and compiles the GRPO step for a backbone.
 * @param options - backbone, optimizer, clipping range, β, temperature
 * @returns the step and its trainable names
 * @throws Error when the backbone has nothing to train, or for β > 0 with full fine-tuning (the reference is the
 *   base under the adapters)
 * @example
 * ```ts
 * const { step } = await createGrpoStep({ backbone, epsilonLow: 0.2, epsilonHigh: 0.2, temperature: 1 });
 * ```
 */
export async function createGrpoStep(options: GrpoStepOptions): Promise<BackboneStep> {
  const built = options.backbone.buildGraph({
    training: true,
    trainBase: options.trainBase,
    neftuneAlpha: options.neftuneAlpha,
    gradientCheckpointing: options.gradientCheckpointing,
  });
  const g = built.graph;
  const tokenIndex = g.input("token_index", "int64", ["B", "T"]);
  const logp = tokenLogProbs(built, tokenIndex, options.temperature);
  const reference = options.beta ? options.backbone.buildReferenceGraph(built) : undefined;
  const loss = clippedPolicyLoss(
    {
      logp,
      oldLogp: g.input("old_logps", "float32", ["B", "T"]),
      advantages: g.input("advantages", "float32", ["B", 1]),
      weights: g.input("loss_weights", "float32", ["B", "T"]),
      refLogp: reference && tokenLogProbs(reference, tokenIndex, options.temperature),
    },
    options,
  );
  const params = built.trainableParams;
  return compileBackboneStep(options.backbone, { loss, params }, { fileName: "grpo-step.onnx", ...options });
}
