/**
 * Linear layers over Hugging Face `[out, in]` weights, used in place through `Gemm(transB)`.
 * Dimension letters: N flattened rows, I inputs, O outputs.
 */
import type { Tensor } from "../ir/graph";
import { mulDims } from "../ir/shape";
import { add } from "./elementwise";
import { gemm } from "./matmul";
import { reshape } from "./movement";

/**
 * `x · Wᵀ (+ b)` for `x` `[..., I]` and `W` `[O, I]`.
 * @param x - input, any leading dimensions
 * @param weight - `[O, I]` (Hugging Face layout)
 * @param bias - optional `[O]`
 * @returns `[..., O]`
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const lead = x.shape.slice(0, -1);
  const rows = x.rank === 2 ? x : reshape(x, [mulDims(...lead), x.shape[x.rank - 1]]);
  let y = gemm(rows, weight, { transB: true });
  if (bias) y = add(y, bias);
  return x.rank === 2 ? y : reshape(y, [...lead, weight.shape[0]]);
}
