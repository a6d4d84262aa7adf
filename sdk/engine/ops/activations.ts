/**
 * Activation functions built from registered ops (composites: autodiff covers them, no gradient of their own).
 */
import type { Tensor } from "../ir/graph";
import { add, erf, less, log, mul, sigmoid, tanh, where } from "./elementwise";

/** SiLU / swish: `x · σ(x)`. */
export const silu = (x: Tensor): Tensor => mul(x, sigmoid(x));

/** GELU, exact form: `x/2 · (1 + erf(x/√2))`. */
export const gelu = (x: Tensor): Tensor => mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));

/** GELU, tanh approximation (`gelu_pytorch_tanh`): `x/2 · (1 + tanh(√(2/π)(x + 0.044715x³)))`. */
export const geluTanh = (x: Tensor): Tensor => {
  const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return mul(mul(x, 0.5), add(tanh(inner), 1));
};

/** Below this, `log σ(x)` is `x` to float precision (`σ(−30) ≈ 9e-14`) and `σ(x)` nears underflow. */
const LOG_SIGMOID_LINEAR_BELOW = -30;

/**
 * `log σ(x)`, finite for every `x`: `log(σ(x))` where that is safe, `x` itself far below zero (where the two
 * agree to float precision), with the unused branch's input clamped so no infinity reaches the gradient. Its
 * gradient at 0 is ½, as it should be (DPO's first step sits exactly there).
 * @example
 * ```ts
 * const loss = neg(logSigmoid(mul(margin, beta)));
 * ```
 */
export const logSigmoid = (x: Tensor): Tensor => {
  const far = less(x, LOG_SIGMOID_LINEAR_BELOW);
  return where(far, x, log(sigmoid(where(far, LOG_SIGMOID_LINEAR_BELOW, x))));
};

/** Activations by their Hugging Face `hidden_act` names. */
export const ACTIVATIONS: Record<string, (x: Tensor) => Tensor> = {
  silu,
  swish: silu,
  gelu,
  gelu_pytorch_tanh: geluTanh,
  gelu_new: geluTanh,
  gelu_fast: geluTanh,
};
