/**
 * The self-attention block: q/k/v projections (optional biases), optional per-head q/k RMSNorm (Qwen3), RoPE,
 * grouped-query attention and the output projection. Dimension letters: B batch, T time, C hidden,
 * H query heads, K key/value heads, D head size.
 */
import { applyRope, attention, reshape, rmsNorm, type Tensor, transpose } from "../../engine";
import { type BlockContext, frozenWeight, projection } from "./block-context";

/** Inputs every layer's attention shares. */
export interface AttentionInputs {
  /** RoPE tables `[B, 1, T, D]`. */
  rope: { cos: Tensor; sin: Tensor };
  /** Additive mask `[B|1, 1, T, T]`. */
  bias: Tensor;
}

/**
 * Self-attention of one layer.
 * @param ctx - block context
 * @param h - normalised input `[B, T, C]`
 * @param prefix - module prefix, e.g. `model.layers.0.self_attn`
 * @param shared - RoPE tables and attention bias
 * @returns `[B, T, C]`
 * @throws WeightMismatchError when a weight is missing or has another shape
 * @example
 * ```ts
 * const out = selfAttention(ctx, h, "model.layers.0.self_attn", { rope, bias });
 * ```
 */
export function selfAttention(ctx: BlockContext, h: Tensor, prefix: string, shared: AttentionInputs): Tensor {
  const c = ctx.config;
  const { numHeads: H, numKvHeads: K, headDim: D, hiddenSize: C } = c;
  const proj = (name: string, out: number) =>
    projection(ctx, h, `${prefix}.${name}`, { out, in: C, bias: c.biases.qkv });
  const split = (t: Tensor, n: number, norm?: string) => {
    let x = reshape(t, ["B", "T", n, D]);
    if (norm) x = rmsNorm(x, frozenWeight(ctx, `${prefix}.${norm}.weight`, [D]), c.rmsNormEps);
    return transpose(x, [0, 2, 1, 3]);
  };
  const q = applyRope(split(proj("q_proj", H * D), H, c.qkNorm ? "q_norm" : undefined), shared.rope);
  const k = applyRope(split(proj("k_proj", K * D), K, c.qkNorm ? "k_norm" : undefined), shared.rope);
  const v = split(proj("v_proj", K * D), K);
  const att = attention(q, k, v, shared.bias, 1 / Math.sqrt(D));
  const merged = reshape(transpose(att, [0, 2, 1, 3]), ["B", "T", H * D]);
  return projection(ctx, merged, `${prefix}.o_proj`, { out: C, in: H * D, bias: c.biases.o });
}
