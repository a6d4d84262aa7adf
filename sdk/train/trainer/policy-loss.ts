/**
 * The clipped policy-gradient loss of GRPO (and DAPO), on per-token log-probabilities, as TRL's `GRPOTrainer`
 * computes it:
 *
 * ```
 * r      = exp(logp − old_logp)                                  per completion token
 * loss_t = −min(r·A, clip(r, 1 − ε_low, 1 + ε_high)·A)  (+ β·kl_t)  A: the completion's advantage
 * kl_t   = exp(ref − logp) − (ref − logp) − 1                      (k3 estimator, only when β > 0)
 * loss   = Σ_t weight_t · loss_t
 * ```
 *
 * The weights carry the mask and the normalisation of each loss type (see {@link policyLossWeights}): GRPO's
 * mean over each sequence then over the batch, DAPO's and BNPO's mean over every completion token. Built from
 * registered elementwise ops, so its gradient is autodiff's. Dimension letters: B completions, T positions.
 */
import {
  add,
  exp,
  greater,
  less,
  lessOrEqual,
  mul,
  neg,
  reduceSum,
  sub,
  type Tensor,
  where,
} from "../../engine";

/** GRPO's loss types (TRL's `loss_type`). */
export type PolicyLossType = "grpo" | "dapo" | "bnpo";

/** The clipping range and KL weight of {@link clippedPolicyLoss}. */
export interface PolicyLossOptions {
  /** Lower clip ε (TRL's `epsilon`, default 0.2). */
  epsilonLow: number;
  /** Upper clip ε (TRL's `epsilon_high`; DAPO recommends 0.28). */
  epsilonHigh: number;
  /** Weight of the KL term against the reference (TRL's `beta`); 0 or absent: none. */
  beta?: number;
}

/**
 * The clipped policy loss, a scalar.
 * @param t - `logp` `[B, T]` (differentiable), `oldLogp` `[B, T]` (sampling-time log-probabilities),
 *   `advantages` `[B, 1]`, `weights` `[B, T]` (0 off the completion tokens), `refLogp` `[B, T]` when β > 0
 * @param o - clipping range and β
 * @returns `Σ weights · per-token loss`
 * @throws Error when β > 0 and no `refLogp` is given
 * @example
 * ```ts
 * const loss = clippedPolicyLoss({ logp, oldLogp, advantages, weights }, { epsilonLow: 0.2, epsilonHigh: 0.2 });
 * ```
 */
export function clippedPolicyLoss(
  t: { logp: Tensor; oldLogp: Tensor; advantages: Tensor; weights: Tensor; refLogp?: Tensor },
  o: PolicyLossOptions,
): Tensor {
  const ratio = exp(sub(t.logp, t.oldLogp));
  const lo = 1 - o.epsilonLow;
  const hi = 1 + o.epsilonHigh;
  const clipped = where(less(ratio, lo), lo, where(greater(ratio, hi), hi, ratio));
  const unclippedTerm = mul(ratio, t.advantages);
  const clippedTerm = mul(clipped, t.advantages);
  // −min(a, b): ties take the unclipped branch, whose gradient is the ratio's (as torch's clamp passes it).
  let perToken = neg(where(lessOrEqual(unclippedTerm, clippedTerm), unclippedTerm, clippedTerm));
  if (o.beta) {
    if (!t.refLogp) throw new Error("clippedPolicyLoss: beta > 0 needs the reference log-probabilities");
    const d = sub(t.refLogp, t.logp);
    perToken = add(perToken, mul(o.beta, sub(sub(exp(d), d), 1)));
  }
  return reduceSum(mul(perToken, t.weights), [0, 1]);
}

/**
 * The per-token weights that turn {@link clippedPolicyLoss}'s sum into each loss type's mean: `grpo` gives each
 * completion `1 / (its tokens · B)` (sequence mean, then batch mean); `dapo` and `bnpo` give every completion
 * token `1 / (all completion tokens)` (TRL's DAPO divides by the tokens of the whole accumulated batch: with
 * gradient accumulation averaged by tokens, the trainer's weighting does the same).
 * @param mask - `[B, T]` row-major, 1 on completion tokens
 * @param B - completions
 * @param lossType - the loss type
 * @returns the weights `[B, T]`
 * @example
 * ```ts
 * policyLossWeights(Float32Array.of(1, 1, 1, 0), 2, "grpo"); // [0.25, 0.25, 0.5, 0]
 * ```
 */
export function policyLossWeights(mask: Float32Array, B: number, lossType: PolicyLossType): Float32Array {
  const T = mask.length / B;
  const out = new Float32Array(mask.length);
  if (lossType === "grpo") {
    for (let b = 0; b < B; b++) {
      let n = 0;
      for (let t = 0; t < T; t++) n += mask[b * T + t];
      const w = 1 / (Math.max(n, 1) * B);
      for (let t = 0; t < T; t++) out[b * T + t] = mask[b * T + t] * w;
    }
    return out;
  }
  const total = Math.max(
    mask.reduce((a, v) => a + v, 0),
    1,
  );
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] / total;
  return out;
}
