/**
 * A fused linear layer split after the projection (Phi-3's `qkv_proj` and `gate_up_proj`): one module, one
 * weight `[ΣO, I]`, one LoRA pair when targeted (as PEFT adapts the fused module: A `[r, I]`, B `[ΣO, r]`), and
 * the output cut into consecutive parts along the last axis. Dimension letters: I inputs, O outputs.
 */
import { split, type Tensor } from "../../engine";
import { type BlockContext, projection } from "./block-context";

/**
 * A fused projection `[..., I] → [..., ΣO]` of module `module`, returned as its consecutive output parts.
 * @param ctx - block context
 * @param x - input `[..., I]`
 * @param module - module path, e.g. `model.layers.0.self_attn.qkv_proj`
 * @param sizes - `in`, the output `parts` in order, and whether the layer has a `bias`
 * @returns one tensor `[..., O_k]` per part
 * @throws WeightMismatchError when the fused weight is missing or is not `[ΣO, I]`
 * @example
 * ```ts
 * const [q, k, v] = fusedProjection(ctx, h, "model.layers.0.self_attn.qkv_proj", { in: 64, parts: [64, 32, 32], bias: false });
 * ```
 */
export function fusedProjection(
  ctx: BlockContext,
  x: Tensor,
  module: string,
  sizes: { in: number; parts: readonly number[]; bias: boolean },
): Tensor[] {
  const out = sizes.parts.reduce((a, b) => a + b, 0);
  const y = projection(ctx, x, module, { out, in: sizes.in, bias: sizes.bias });
  return split(y, -1, [...sizes.parts]);
}
