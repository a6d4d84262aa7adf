/**
 * Attention building blocks: additive masks (causal, padding, packed segments), rotary position embeddings
 * (`rotate_half` convention of Llama/Mistral/Qwen/Gemma) and grouped-query scaled dot-product attention.
 * Dimension letters: B batch, H query heads, K key/value heads, G = H/K, T query length, S key length, D head size.
 */
import { typedArrayOf } from "../ir/dtype";
import type { Tensor } from "../ir/graph";
import { mulDims } from "../ir/shape";
import {
  add as addTensors,
  and,
  cast,
  cos,
  equal,
  exp,
  greater,
  lessOrEqual,
  log,
  mul,
  neg,
  sin,
  tanh,
  where,
} from "./elementwise";
import { apply1 } from "./helpers";
import { matmul } from "./matmul";
import { concat, reshape, slice, transposeLast2, unsqueeze } from "./movement";
import { reduceMax } from "./reduce";
import { attr, defineOp } from "./registry";
import { softmax } from "./softmax";

/** `[0, 1, …, n−1]` (int64) where n is `x`'s size along `axis`, read at run time. */
export const ArangeLike = defineOp<{ axis: number }>({
  name: "ArangeLike",
  infer: ([x], { axis }) => [{ dtype: "int64", shape: [x.shape[axis < 0 ? axis + x.shape.length : axis]] }],
  lower: (ctx, a) => {
    const rank = a.node.inputs[0].rank;
    const axis = a.attrs.axis < 0 ? a.attrs.axis + rank : a.attrs.axis;
    const [n] = ctx.emit("Shape", [a.inputs[0]], { start: attr.int(axis), end: attr.int(axis + 1) });
    const [limit] = ctx.emit("Squeeze", [n, ctx.int64s([0])]);
    ctx.emit("Range", [ctx.scalar(0, "int64"), limit, ctx.scalar(1, "int64")], {}, { outputs: a.outputs });
  },
  grad: "none",
});

/** Positions `0..n−1` along `axis` of `x`. */
export const arangeLike = (x: Tensor, axis: number): Tensor => apply1(ArangeLike, [x], { axis });

/** Large finite negative for closed positions (a fully closed row then stays finite, unlike −∞). */
export const MASKED = -1e9;

/**
 * Additive attention bias `[B|1, 1, T, T]`: 0 where a query may attend a key, {@link MASKED} elsewhere.
 * @param ids - `[B, T]` token ids (only its shape is used)
 * @param options.attentionMask - `[B, T]` int64, 1 for real tokens and 0 for padding (keys closed)
 * @param options.segmentIds - `[B, T]` int64; tokens attend only within their segment (sequence packing)
 * @param options.window - sliding window W: query `q` also needs `k > q − W` (the W most recent positions,
 *   itself included, as transformers' `sliding_window_overlay`)
 * @param options.dtype - float dtype of the bias
 */
export function attentionBias(
  ids: Tensor,
  options: {
    attentionMask?: Tensor;
    segmentIds?: Tensor;
    window?: number;
    dtype?: "float32" | "float64";
  } = {},
): Tensor {
  const pos = arangeLike(ids, 1);
  let allowed = causalAllowed(pos, pos, options.window); // [T(q), T(k)]
  allowed = unsqueeze(allowed, [0, 1]); // [1, 1, T, T]
  if (options.attentionMask) allowed = and(allowed, unsqueeze(equal(options.attentionMask, 1), [1, 2]));
  if (options.segmentIds) {
    const seg = options.segmentIds;
    allowed = and(allowed, equal(unsqueeze(seg, [1, 3]), unsqueeze(seg, [1, 2])));
  }
  const dtype = options.dtype ?? "float32";
  const zero = ids.graph.constant(typedArrayOf(dtype, [0]), dtype, []);
  const closed = ids.graph.constant(typedArrayOf(dtype, [MASKED]), dtype, []);
  return where(allowed, zero, closed);
}

/**
 * `[Tq, Tk]` booleans: key position `k` is open to query position `q` when `k ≤ q` and, with a sliding window W,
 * `k > q − W`.
 * @param queries - int64 `[Tq]` absolute positions of the queries
 * @param keys - int64 `[Tk]` absolute positions of the keys
 * @param window - W, or undefined for plain causal attention
 */
export function causalAllowed(queries: Tensor, keys: Tensor, window?: number): Tensor {
  const k = unsqueeze(keys, [0]);
  const q = unsqueeze(queries, [1]);
  const causal = lessOrEqual(k, q);
  if (window === undefined) return causal;
  if (!(Number.isInteger(window) && window > 0))
    throw new Error(`sliding window must be a positive integer, got ${window}`);
  return and(causal, greater(addTensors(k, window), q));
}

/**
 * Rotary tables `cos`, `sin` `[B, 1, T, R]` for integer positions `[B, T]`, with `inv_freq_i = theta^(-2i/D)`.
 * @param positions - int64 positions
 * @param headDim - D (even)
 * @param theta - `rope_theta`
 */
export function ropeTables(positions: Tensor, headDim: number, theta: number): { cos: Tensor; sin: Tensor } {
  const inv = Array.from({ length: headDim / 2 }, (_, i) => 1 / theta ** ((2 * i) / headDim));
  return ropeTablesFromFrequencies(positions, inv);
}

/** How {@link ropeTablesFromFrequencies} adapts the frequencies and scales the tables. */
export interface RopeTableOptions {
  /** Factor on both tables (YaRN's and LongRoPE's attention factor); default 1. */
  readonly attentionScaling?: number;
  /** Other frequencies, used instead when the largest position in the batch is ≥ `fromPosition` (LongRoPE). */
  readonly long?: { readonly invFreq: readonly number[]; readonly fromPosition: number };
  /**
   * Dynamic NTK: with L = max(positions) + 1 > `maxPositions`, the base becomes
   * `base · (factor·L/maxPositions − (factor − 1))^(dim/(dim−2))` and `inv_freq_i = base^(−2i/dim)`.
   */
  readonly dynamicNtk?: {
    readonly base: number;
    readonly dim: number;
    readonly factor: number;
    readonly maxPositions: number;
  };
}

/**
 * Rotary tables `cos`, `sin` `[B, 1, T, R]` for integer positions `[B, T]` from given inverse frequencies
 * (R = 2 × their count), optionally switched or rescaled by the batch's longest position (see
 * {@link RopeTableOptions}).
 * @param positions - int64 positions
 * @param invFreq - one inverse frequency per rotated pair
 * @param options - attention scaling, LongRoPE's long frequencies, dynamic NTK
 */
export function ropeTablesFromFrequencies(
  positions: Tensor,
  invFreq: readonly number[],
  options: RopeTableOptions = {},
): { cos: Tensor; sin: Tensor } {
  const half = invFreq.length;
  const table = (f: readonly number[]) =>
    positions.graph.constant(typedArrayOf("float32", [...f]), "float32", [1, 1, half]);
  const longest = () => reduceMax(cast(positions, "float32"), [0, 1]); // integer-valued
  let inv = table(invFreq);
  const { long, dynamicNtk: ntk } = options;
  if (long) inv = where(greater(longest(), long.fromPosition - 0.5), table(long.invFreq), inv);
  if (ntk) {
    const length = addTensors(longest(), 1);
    const seqLen = where(greater(length, ntk.maxPositions), length, ntk.maxPositions);
    const ratio = addTensors(mul(seqLen, ntk.factor / ntk.maxPositions), 1 - ntk.factor);
    const logBase = addTensors(mul(log(ratio), ntk.dim / (ntk.dim - 2)), Math.log(ntk.base)); // ln(base')
    const exponents = table(Array.from({ length: half }, (_, i) => (-2 * i) / ntk.dim));
    inv = where(greater(length, ntk.maxPositions), exp(mul(exponents, logBase)), inv); // exact table up to max
  }
  const attentionScaling = options.attentionScaling ?? 1;
  const freqs = mul(unsqueeze(cast(positions, "float32"), [2]), inv); // [B, T, R/2]
  const emb = unsqueeze(concat([freqs, freqs], -1), [1]); // [B, 1, T, R]
  if (attentionScaling === 1) return { cos: cos(emb), sin: sin(emb) };
  return { cos: mul(cos(emb), attentionScaling), sin: mul(sin(emb), attentionScaling) };
}

/**
 * Applies rotary embeddings to `x` `[B, H, T, D]`: `x·cos + rotate_half(x)·sin` over the first R dimensions of
 * each head, R being the tables' last size (partial rotary when R < D: the other dimensions pass unchanged).
 */
export function applyRope(x: Tensor, tables: { cos: Tensor; sin: Tensor }): Tensor {
  const d = x.shape[x.rank - 1] as number;
  const r = tables.cos.shape[tables.cos.rank - 1] as number;
  if (r < d) return concat([applyRope(slice(x, -1, 0, r), tables), slice(x, -1, r, d)], -1);
  const x1 = slice(x, -1, 0, d / 2);
  const x2 = slice(x, -1, d / 2, d);
  const rotated = concat([neg(x2), x1], -1);
  return addTensors(mul(x, tables.cos), mul(rotated, tables.sin));
}

/**
 * Tanh soft-capping `c · tanh(x / c)` (Gemma 2's attention and final logits): about `x` for `|x| ≪ c`, bounded by c.
 * @param x - any float tensor
 * @param cap - c > 0
 */
export function softcapped(x: Tensor, cap: number): Tensor {
  if (!(cap > 0)) throw new Error(`soft-cap must be a positive number, got ${cap}`);
  return mul(tanh(mul(x, 1 / cap)), cap);
}

/**
 * Grouped-query scaled dot-product attention.
 * @param q - `[B, H, T, D]`
 * @param k - `[B, K, S, D]`
 * @param v - `[B, K, S, D]`
 * @param bias - additive `[B|1, 1, T, S]`
 * @param scale - usually `1/√D`
 * @param softcap - Gemma 2's `attn_logit_softcapping` c: scaled scores become `c · tanh(scores / c)` before
 *   the bias is added
 * @returns `[B, H, T, D]`
 */
export function attention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  bias: Tensor,
  scale: number,
  softcap?: number,
): Tensor {
  const [b, h, t, d] = q.shape;
  const kv = k.shape[1] as number;
  const groups = (h as number) / kv;
  // Fold the G query heads that share a key/value head into the query axis: no copy of K or V.
  const qg = groups === 1 ? q : reshape(q, [b, kv, mulDims(groups, t), d]);
  let scores = mul(matmul(qg, transposeLast2(k)), scale); // [B, K, G·T, S]
  if (softcap !== undefined) scores = softcapped(scores, softcap);
  const s = k.shape[2];
  if (groups > 1) scores = reshape(scores, [b, kv, groups, t, s]);
  const biasG = groups > 1 ? unsqueeze(bias, [2]) : bias;
  const probs = softmax(addTensors(scores, biasG));
  const flat = groups > 1 ? reshape(probs, [b, kv, mulDims(groups, t), s]) : probs;
  const out = matmul(flat, v); // [B, K, G·T, D]
  return groups > 1 ? reshape(out, [b, h, t, d]) : out;
}
