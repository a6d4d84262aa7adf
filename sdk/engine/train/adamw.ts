/**
 * AdamW and global-norm clipping as graph ops (PyTorch semantics): decoupled weight decay
 * `p ← p − lr·wd·p`, moments `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, bias-corrected update
 * `p ← p − lr · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)`. Clipping scales all gradients by
 * `min(1, maxNorm / (‖g‖ + 10⁻⁶))` like `torch.nn.utils.clip_grad_norm_`.
 */
import type { Tensor } from "../ir/graph";
import { add, div, greater, mul, pow, sqrt, sub, where } from "../ops/elementwise";
import { reduceSum } from "../ops/reduce";

/** AdamW hyperparameters. */
export interface AdamWOptions {
  /** β₁ (default 0.9). */
  beta1?: number;
  /** β₂ (default 0.999). */
  beta2?: number;
  /** ε (default 1e-8). */
  eps?: number;
  /** Decoupled weight decay (default 0). */
  weightDecay?: number;
}

/** Global L2 norm of a list of gradients. */
export function globalNorm(grads: readonly Tensor[]): Tensor {
  const squares = grads.map((g) =>
    reduceSum(
      mul(g, g),
      g.shape.map((_, i) => i),
    ),
  );
  return sqrt(squares.reduce((a, b) => add(a, b)));
}

/** Gradients scaled so their global norm is at most `maxNorm` (given the precomputed `norm`). */
export function clipByGlobalNorm(grads: readonly Tensor[], norm: Tensor, maxNorm: number): Tensor[] {
  const shifted = add(norm, 1e-6);
  const coef = where(greater(shifted, maxNorm), div(maxNorm, shifted), 1);
  return grads.map((g) => mul(g, coef));
}

/**
 * One AdamW update of a parameter.
 * @param p - current values
 * @param g - gradient
 * @param m - first moment
 * @param v - second moment
 * @param lr - learning-rate scalar (graph input)
 * @param step - 1-based step count scalar (float, graph input)
 * @param options - hyperparameters; `decay: false` skips weight decay for this tensor
 * @returns updated parameter and moments
 */
export function adamwUpdate(
  p: Tensor,
  g: Tensor,
  m: Tensor,
  v: Tensor,
  lr: Tensor,
  step: Tensor,
  options: AdamWOptions & { decay?: boolean } = {},
): { p: Tensor; m: Tensor; v: Tensor } {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = options;
  const m2 = add(mul(m, beta1), mul(g, 1 - beta1));
  const v2 = add(mul(v, beta2), mul(mul(g, g), 1 - beta2));
  const bc1 = sub(1, pow(beta1, step));
  const bc2 = sub(1, pow(beta2, step));
  const denom = add(div(sqrt(v2), sqrt(bc2)), eps);
  const stepSize = div(lr, bc1);
  const decayed = weightDecay && options.decay !== false ? mul(p, sub(1, mul(lr, weightDecay))) : p;
  return { p: sub(decayed, mul(stepSize, div(m2, denom))), m: m2, v: v2 };
}
