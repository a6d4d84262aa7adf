/**
 * The self-attention block: q/k/v projections (optional biases; fused into one `qkv_proj` for Phi-3), optional
 * q/k RMSNorm per head (Qwen3; Gemma 3 with `(1 + w)`) or over the whole projection (OLMo 2), RoPE (skipped in
 * SmolLM3's NoPE layers), the config's score scale and soft-cap (Gemma 2),
 * grouped-query attention and the output projection; and its KV-cache variant, which attends over past keys
 * and values plus the new ones and returns the concatenation (`present`). Dimension letters: B batch, T new
 * positions, P past positions, S = P + T, C hidden, H query heads, K key/value heads, D head size.
 */
import {
  and,
  applyRope,
  arangeLike,
  attention,
  attr,
  causalAllowed,
  defineOp,
  equal,
  MASKED,
  reshape,
  rmsNorm,
  type Tensor,
  transpose,
  unsqueeze,
  where,
} from "../../engine";
import { type BlockContext, frozenWeight, projection } from "./block-context";
import { fusedProjection } from "./fused-projection";

/** Name of the symbolic total length `S = P + T` (the attention mask's second axis in a KV-cache graph). */
export const CACHE_LENGTH = "S";

/** Concatenates past `[B, K, P, D]` and new `[B, K, T, D]` along time into `[B, K, S, D]` (no gradient). */
const KvConcat = defineOp({
  name: "KvConcat",
  infer: ([past, next]) => {
    if (past.shape.length !== 4 || next.shape.length !== 4 || past.dtype !== next.dtype) {
      throw new Error("expected two rank-4 tensors of one dtype");
    }
    return [{ dtype: past.dtype, shape: [past.shape[0], past.shape[1], CACHE_LENGTH, past.shape[3]] }];
  },
  lower: (ctx, a) => void ctx.emit("Concat", a.inputs, { axis: attr.int(2) }, { outputs: a.outputs }),
  grad: "none",
});

/** Absolute positions `[S − T, …, S − 1]` (int64 `[T]`) of the new tokens, from the ids and the full mask. */
const CacheQueryPositions = defineOp({
  name: "CacheQueryPositions",
  infer: ([ids]) => [{ dtype: "int64", shape: [ids.shape[1]] }],
  lower: (ctx, a) => {
    const axis1 = { start: attr.int(1), end: attr.int(2) };
    const [t] = ctx.emit("Shape", [a.inputs[0]], axis1);
    const [s] = ctx.emit("Shape", [a.inputs[1]], axis1);
    const [p] = ctx.emit("Sub", [s, t]);
    const [start] = ctx.emit("Squeeze", [p, ctx.int64s([0])]);
    const [end] = ctx.emit("Squeeze", [s, ctx.int64s([0])]);
    ctx.emit("Range", [start, end, ctx.scalar(1, "int64")], {}, { outputs: a.outputs });
  },
  grad: "none",
});

/** Inputs every layer's attention shares. */
export interface AttentionInputs {
  /** RoPE tables `[B, 1, T, D]`; absent in a layer without RoPE (SmolLM3's NoPE layers). */
  rope?: { cos: Tensor; sin: Tensor };
  /** Additive mask `[B|1, 1, T, T]`. */
  bias: Tensor;
}

/** One layer's cached keys and values `[B, K, P, D]` (inputs) or `[B, K, S, D]` (outputs). */
export interface KvPair {
  key: Tensor;
  value: Tensor;
}

/**
 * Additive attention bias `[B, 1, T, S]` of a KV-cache step: query `i` (absolute position `S − T + i`) sees key
 * `j` when `j ≤ S − T + i` (and, with a sliding window W, `j > S − T + i − W`) and `attentionMask[b, j] = 1`;
 * closed entries get the engine's finite `MASKED`. The whole cache is kept: a window only closes older keys.
 * @param inputIds - the new ids `[B, T]` (only the shape is read)
 * @param attentionMask - int64 `[B, S]` over past and new positions, 0 at padding
 * @param window - sliding window W of the layers this bias serves (absent: plain causal)
 * @returns the bias
 * @example
 * ```ts
 * const bias = cachedAttentionBias(inputIds, attentionMask);
 * ```
 */
export function cachedAttentionBias(inputIds: Tensor, attentionMask: Tensor, window?: number): Tensor {
  const keys = arangeLike(attentionMask, 1); // [S]
  const queries = inputIds.graph.apply(CacheQueryPositions, [inputIds, attentionMask])[0]; // [T]
  const causal = unsqueeze(causalAllowed(queries, keys, window), [0, 1]); // [1, 1, T, S]
  const allowed = and(causal, unsqueeze(equal(attentionMask, 1), [1, 2])); // [B, 1, T, S]
  const g = inputIds.graph;
  return where(
    allowed,
    g.constant(new Float32Array([0]), "float32", []),
    g.constant(new Float32Array([MASKED]), "float32", []),
  );
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
  return attend(ctx, h, prefix, shared).out;
}

/**
 * Self-attention of one layer over a KV cache: the new keys and values are appended to `past` and the
 * queries attend over the result.
 * @param ctx - block context
 * @param h - normalised input of the new positions `[B, T, C]`
 * @param prefix - module prefix, e.g. `model.layers.0.self_attn`
 * @param shared - RoPE tables of the new positions and the bias from {@link cachedAttentionBias}
 * @param past - the layer's past keys and values `[B, K, P, D]` (P may be 0)
 * @returns the output `[B, T, C]` and `present` keys and values `[B, K, S, D]`
 * @throws WeightMismatchError when a weight is missing or has another shape
 * @example
 * ```ts
 * const { out, present } = selfAttentionCached(ctx, h, "model.layers.0.self_attn", shared, past);
 * ```
 */
export function selfAttentionCached(
  ctx: BlockContext,
  h: Tensor,
  prefix: string,
  shared: AttentionInputs,
  past: KvPair,
): { out: Tensor; present: KvPair } {
  const r = attend(ctx, h, prefix, shared, past);
  return { out: r.out, present: { key: r.key, value: r.value } };
}

function attend(ctx: BlockContext, h: Tensor, prefix: string, shared: AttentionInputs, past?: KvPair) {
  const c = ctx.config;
  const { numHeads: H, numKvHeads: K, headDim: D, hiddenSize: C } = c;
  const [qp, kp, vp] = qkvProjections(ctx, h, prefix);
  const byHead = c.qkNormScope !== "projection";
  const split = (t: Tensor, n: number, norm?: string) => {
    const qkNorm = (x: Tensor, size: number) =>
      rmsNorm(x, frozenWeight(ctx, `${prefix}.${norm}.weight`, [size]), c.rmsNormEps, c.normUnitOffset);
    let x = norm && !byHead ? qkNorm(t, n * D) : t;
    x = reshape(x, ["B", "T", n, D]);
    if (norm && byHead) x = qkNorm(x, D);
    return transpose(x, [0, 2, 1, 3]);
  };
  const rope = (t: Tensor) => (shared.rope ? applyRope(t, shared.rope) : t);
  const q = rope(split(qp, H, c.qkNorm ? "q_norm" : undefined));
  let k = rope(split(kp, K, c.qkNorm ? "k_norm" : undefined));
  let v = split(vp, K);
  if (past) {
    k = ctx.graph.apply(KvConcat, [past.key, k])[0];
    v = ctx.graph.apply(KvConcat, [past.value, v])[0];
  }
  const att = attention(q, k, v, shared.bias, c.attentionScale ?? 1 / Math.sqrt(D), c.attnLogitSoftcap);
  const merged = reshape(transpose(att, [0, 2, 1, 3]), ["B", "T", H * D]);
  const out = projection(ctx, merged, `${prefix}.o_proj`, { out: C, in: H * D, bias: c.biases.o });
  return { out, key: k, value: v };
}

/** The q, k and v projections `[B, T, H·D]`, `[B, T, K·D]` ×2: three modules, or Phi-3's one `qkv_proj`. */
function qkvProjections(ctx: BlockContext, h: Tensor, prefix: string): Tensor[] {
  const { numHeads: H, numKvHeads: K, headDim: D, hiddenSize: C, biases } = ctx.config;
  const parts = [H * D, K * D, K * D];
  if (ctx.config.fusedQkv) {
    return fusedProjection(ctx, h, `${prefix}.qkv_proj`, { in: C, parts, bias: biases.qkv });
  }
  return ["q_proj", "k_proj", "v_proj"].map((name, i) =>
    projection(ctx, h, `${prefix}.${name}`, { out: parts[i], in: C, bias: biases.qkv }),
  );
}
