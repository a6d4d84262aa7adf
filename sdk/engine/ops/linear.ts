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
  return overRows(x, weight.shape[0] as number, (rows) => gemm(rows, weight, { transB: true }), bias);
}

/**
 * Applies a 2-D product `[N, I] → [N, O]` to `x` `[..., I]` (flattening and restoring the leading dimensions),
 * then adds the optional bias.
 * @param x - input, any leading dimensions
 * @param out - O
 * @param product - the 2-D product
 * @param bias - optional `[O]`
 * @returns `[..., O]`
 */
export function overRows(x: Tensor, out: number, product: (rows: Tensor) => Tensor, bias?: Tensor): Tensor {
  const lead = x.shape.slice(0, -1);
  const rows = x.rank === 2 ? x : reshape(x, [mulDims(...lead), x.shape[x.rank - 1]]);
  let y = product(rows);
  if (bias) y = add(y, bias);
  return x.rank === 2 ? y : reshape(y, [...lead, out]);
}
