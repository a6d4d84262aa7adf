/**
 * Activation functions built from registered ops (composites: autodiff covers them, no gradient of their own).
 */
import type { Tensor } from "../ir/graph";
import { add, erf, mul, sigmoid, tanh } from "./elementwise";

/** SiLU / swish: `x · σ(x)`. */
export const silu = (x: Tensor): Tensor => mul(x, sigmoid(x));

/** GELU, exact form: `x/2 · (1 + erf(x/√2))`. */
export const gelu = (x: Tensor): Tensor => mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));

/** GELU, tanh approximation (`gelu_pytorch_tanh`): `x/2 · (1 + tanh(√(2/π)(x + 0.044715x³)))`. */
export const geluTanh = (x: Tensor): Tensor => {
  const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return mul(mul(x, 0.5), add(tanh(inner), 1));
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
