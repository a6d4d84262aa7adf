/**
 * Fused linear cross-entropy: the LM head `hidden · Wᵀ` and the cross-entropy against `labels` in one op that
 * never materialises the `[N, V]` logits. Only labelled rows are used (gathered with `NonZero`); an ONNX
 * `Loop` walks the vocabulary in chunks of `chunkSize` rows of `W`, keeping per row a running maximum `m`, a
 * running sum `s = Σ exp(z − m)` and, flash-attention style, a running `acc = Σ exp(z − m) · W_v`, all three
 * rescaled by `exp(m_old − m_new)` when the maximum grows. At the end
 *
 *   loss_row = m + log s − z_label,   dloss_row/dhidden = acc / s − W_label
 *
 * (softmax times `W` minus the label's row), scaled by `1 / count` for the mean and scattered back to `[N, C]`
 * (zero on ignored rows). The loss being the last node of a training graph, the gradient with respect to the
 * hidden state is computed here in the forward pass, so the op's gradient rule is `g · dHidden` and only one
 * chunk's `[M, chunk]` scores are alive at a time. With a `withGrad` input (the step's `train` flag), the
 * gradient work runs only when it is true (evaluation computes the loss alone, one head product per chunk).
 * The head weight is frozen: no gradient flows to it (use the plain head and `crossEntropy` to train it).
 * With `reduction: "none"` the op returns each row's loss `[N]` and its unscaled row gradients; the gradient
 * rule then multiplies row `i` of `dHidden` by the upstream `g[i]`, so any function of the row losses (a
 * per-sequence sum, a preference loss over them) still gets its gradient without the logits.
 * Dimension letters: N rows, M labelled rows, C hidden, V vocabulary.
 */
import { type DType, ONNX_DTYPE } from "../ir/dtype";
import type { Tensor } from "../ir/graph";
import type { Dim } from "../ir/shape";
import { mul } from "./elementwise";
import { unsqueeze } from "./movement";
import { attr, defineOp, type LowerContext, type SubgraphValue } from "./registry";

/** Attributes of {@link LinearCrossEntropy}. */
export interface LinearCrossEntropyAttrs {
  [k: string]: number | string;
  ignoreIndex: number;
  /** `none` returns each row's loss `[N]` (0 on ignored rows), for per-sequence sums such as DPO's. */
  reduction: "mean" | "sum" | "none";
  /** Rows of the head weight per chunk (the last chunk may be shorter). */
  chunkSize: number;
}

/** Names of the labelled rows' values, computed once outside the chunk loop. */
interface Selected {
  dtype: DType;
  weight: string;
  /** Row indices `[M, 1]` of the labelled rows (for the scatter back). */
  rows: string;
  /** Labelled hidden rows `[M, C]`. */
  hidden: string;
  /** The labels' weight rows `[M, C]`. */
  labelRows: string;
  chunkSize: number;
  chunks: number;
}

/** `[M, C]` hidden rows, their labels' weight rows and indices, for the labelled positions only. */
function selectLabelled(ctx: LowerContext, h: string, w: string, labels: string, a: LinearCrossEntropyAttrs) {
  const [ignored] = ctx.emit("Equal", [labels, ctx.scalar(a.ignoreIndex, "int64")]);
  const [nz] = ctx.emit("NonZero", ctx.emit("Not", [ignored]));
  const [idx] = ctx.emit("Squeeze", [nz, ctx.int64s([0])]);
  const [rows] = ctx.emit("Transpose", [nz], { perm: attr.ints([1, 0]) });
  const [hidden] = ctx.emit("Gather", [h, idx], { axis: attr.int(0) });
  const [ys] = ctx.emit("Gather", [labels, idx], { axis: attr.int(0) });
  const [labelRows] = ctx.emit("Gather", [w, ys], { axis: attr.int(0) });
  return { idx, rows, hidden, labelRows };
}

/**
 * The chunk loop: returns the final running max `[M, 1]`, sum `[M, 1]` and, with `withGrad`, `acc` `[M, C]`.
 */
function chunkLoop(ctx: LowerContext, sel: Selected, withGrad: boolean): string[] {
  const f = sel.dtype;
  const [rowsShape] = ctx.emit("Shape", [sel.hidden], { start: attr.int(0), end: attr.int(1) });
  const [colShape] = ctx.emit("Concat", [rowsShape, ctx.int64s([1])], { axis: attr.int(0) });
  const [m0] = ctx.emit("Expand", [ctx.scalar(Number.NEGATIVE_INFINITY, f), colShape]);
  const [s0] = ctx.emit("Expand", [ctx.scalar(0, f), colShape]);
  const carried = [m0, s0];
  if (withGrad) carried.push(ctx.emit("Expand", [ctx.scalar(0, f), ctx.emit("Shape", [sel.hidden])[0]])[0]);
  const formal = (prefix: string, dtype: DType, shape: Dim[]): SubgraphValue => ({
    name: ctx.fresh(prefix),
    dtype,
    shape,
  });
  const inputs = [
    formal("iter", "int64", []),
    formal("cond", "bool", []),
    ...carried.map((_, i) => formal("carry", f, ["M", i < 2 ? 1 : "C"])),
  ];
  const body = ctx.subgraph(inputs, (b) => chunkStep(b, sel, inputs, withGrad));
  const trips = ctx.scalar(sel.chunks, "int64");
  return ctx.emit(
    "Loop",
    [trips, ctx.scalar(1, "bool"), ...carried],
    { body },
    { numOutputs: carried.length },
  );
}

/** One chunk: scores `[M, c]`, the rescaled running max, sum and (with `withGrad`) `acc`. */
function chunkStep(b: LowerContext, sel: Selected, inputs: SubgraphValue[], withGrad: boolean) {
  const [iter, cond, m, s, acc] = inputs.map((i) => i.name);
  const f = sel.dtype;
  const [start] = b.emit("Mul", [b.emit("Unsqueeze", [iter, b.int64s([0])])[0], b.int64s([sel.chunkSize])]);
  const [end] = b.emit("Add", [start, b.int64s([sel.chunkSize])]);
  const [wc] = b.emit("Slice", [sel.weight, start, end, b.int64s([0])]);
  const [z] = b.emit("Gemm", [sel.hidden, wc], { transB: attr.int(1) });
  const [zMax] = b.emit("ReduceMax", [z], { axes: attr.ints([1]), keepdims: attr.int(1) });
  const [mNew] = b.emit("Max", [m, zMax]);
  const [rescale] = b.emit("Exp", b.emit("Sub", [m, mNew]));
  const [p] = b.emit("Exp", b.emit("Sub", [z, mNew]));
  const [pSum] = b.emit("ReduceSum", [p, b.int64s([1])], { keepdims: attr.int(1) });
  const [sNew] = b.emit("Add", [b.emit("Mul", [s, rescale])[0], pSum]);
  const outs: SubgraphValue[] = [
    { name: b.emit("Identity", [cond])[0], dtype: "bool" },
    { name: mNew, dtype: f },
    { name: sNew, dtype: f },
  ];
  if (withGrad) {
    const [pw] = b.emit("MatMul", [p, wc]);
    outs.push({ name: b.emit("Add", [b.emit("Mul", [acc, rescale])[0], pw])[0], dtype: f });
  }
  return outs;
}

/** `[N, C]` gradient of the loss w.r.t. the hidden state: `(acc / s − W_label) · scale` on labelled rows. */
function hiddenGradient(ctx: LowerContext, sel: Selected, h: string, s: string, acc: string, scale: string) {
  const [softW] = ctx.emit("Div", [acc, s]);
  const [dRows] = ctx.emit("Mul", [ctx.emit("Sub", [softW, sel.labelRows])[0], scale]);
  const [zeros] = ctx.emit("Expand", [ctx.scalar(0, sel.dtype), ctx.emit("Shape", [h])[0]]);
  return ctx.emit("ScatterND", [zeros, sel.rows, dRows])[0];
}

/** Each labelled row's loss `m + log s − z_label`, `[M, 1]`. */
function rowLosses(ctx: LowerContext, sel: Selected, m: string, s: string): string {
  const [product] = ctx.emit("Mul", [sel.hidden, sel.labelRows]);
  const [labelScore] = ctx.emit("ReduceSum", [product, ctx.int64s([1])], { keepdims: attr.int(1) });
  const [logSumExp] = ctx.emit("Add", [m, ctx.emit("Log", [s])[0]]);
  return ctx.emit("Sub", [logSumExp, labelScore])[0];
}

/** Writes `scale · Σ` of the row losses to `out` (mean, sum), or the row losses scattered to `[N]` (none). */
function writeLoss(
  ctx: LowerContext,
  sel: Selected,
  h: string,
  rows: string,
  scale: string,
  out: string,
  a: LinearCrossEntropyAttrs,
): void {
  if (a.reduction === "none") {
    const [n] = ctx.emit("Shape", [h], { start: attr.int(0), end: attr.int(1) });
    const [zeros] = ctx.emit("Expand", [ctx.scalar(0, sel.dtype), n]);
    const [flat] = ctx.emit("Squeeze", [rows, ctx.int64s([1])]);
    ctx.emit("ScatterND", [zeros, sel.rows, flat], {}, { outputs: [out] });
    return;
  }
  const [total] = ctx.emit("ReduceSum", [rows], { keepdims: attr.int(0) });
  ctx.emit("Reshape", [ctx.emit("Mul", [total, scale])[0], ctx.int64s([])], {}, { outputs: [out] });
}

/** The fused op: inputs `hidden [N, C]`, `weight [V, C]`, `labels [N]` (+ `withGrad`); outputs loss and dHidden. */
export const LinearCrossEntropy = defineOp<LinearCrossEntropyAttrs>({
  name: "LinearCrossEntropy",
  infer: ([hidden, weight, labels, withGrad], a) => {
    if (hidden.shape.length !== 2) throw new Error("hidden must be [N, C]");
    if (weight.shape.length !== 2 || weight.shape[1] !== hidden.shape[1])
      throw new Error("the head weight must be [V, C] with hidden's C (Hugging Face layout)");
    if (typeof weight.shape[0] !== "number") throw new Error("the vocabulary size V must be static");
    if (weight.dtype !== hidden.dtype) throw new Error(`dtypes differ: ${hidden.dtype} vs ${weight.dtype}`);
    if (labels.dtype !== "int64" || labels.shape.length !== 1 || labels.shape[0] !== hidden.shape[0])
      throw new Error("labels must be int64 [N]");
    if (withGrad && (withGrad.dtype !== "bool" || withGrad.shape.length !== 0))
      throw new Error("withGrad must be a bool scalar");
    if (!(Number.isInteger(a.chunkSize) && a.chunkSize > 0))
      throw new Error(`chunkSize must be a positive integer, got ${a.chunkSize}`);
    if (!["mean", "sum", "none"].includes(a.reduction))
      throw new Error(`reduction must be mean, sum or none, got ${a.reduction}`);
    return [
      { dtype: hidden.dtype, shape: a.reduction === "none" ? [hidden.shape[0]] : [] },
      { dtype: hidden.dtype, shape: hidden.shape },
    ];
  },
  lower: (ctx, a) => {
    const [h, w, labels, withGrad] = a.inputs;
    const dtype = a.node.inputs[0].dtype;
    const V = a.node.inputs[1].shape[0] as number;
    const chunkSize = Math.min(a.attrs.chunkSize, V);
    const picked = selectLabelled(ctx, h, w, labels, a.attrs);
    const sel: Selected = { ...picked, dtype, weight: w, chunkSize, chunks: Math.ceil(V / chunkSize) };
    const [count] = ctx.emit("Cast", ctx.emit("Shape", [picked.idx]), { to: attr.int(ONNX_DTYPE[dtype]) });
    const scale = a.attrs.reduction === "mean" ? ctx.emit("Reciprocal", [count])[0] : ctx.scalar(1, dtype);
    const withGradients = (c: LowerContext) => {
      const [m, s, acc] = chunkLoop(c, sel, true);
      return [m, s, hiddenGradient(c, sel, h, s, acc, scale)];
    };
    let m: string;
    let s: string;
    let dHidden: string;
    if (!withGrad) [m, s, dHidden] = withGradients(ctx);
    else {
      const branch = (build: (c: LowerContext) => string[]) =>
        ctx.subgraph([], (c) => build(c).map((name) => ({ name, dtype })));
      const lossOnly = (c: LowerContext) => {
        const [mm, ss] = chunkLoop(c, sel, false);
        return [mm, ss, c.emit("Expand", [c.scalar(0, dtype), c.emit("Shape", [h])[0]])[0]];
      };
      const thenBranch = branch(withGradients);
      const elseBranch = branch(lossOnly);
      [m, s, dHidden] = ctx.emit(
        "If",
        [withGrad],
        { then_branch: thenBranch, else_branch: elseBranch },
        { numOutputs: 3 },
      );
    }
    writeLoss(ctx, sel, h, rowLosses(ctx, sel, m, s), scale, a.outputs[0], a.attrs);
    ctx.emit("Identity", [dHidden], {}, { outputs: [a.outputs[1]] });
  },
  grad: ({ outputs: [, dHidden], dOut: [g, dGrad], wants, attrs }) => {
    if (dGrad) throw new Error("LinearCrossEntropy: its hidden-gradient output cannot be differentiated");
    if (wants[1])
      throw new Error(
        "LinearCrossEntropy: the head weight must be frozen; train it through the plain head and crossEntropy",
      );
    const upstream = attrs.reduction === "none" ? unsqueeze(g!, [1]) : g!;
    return [mul(dHidden, upstream), undefined, undefined, undefined];
  },
  checks: [
    {
      name: "mean, uneven last chunk, ignored labels",
      inputs: [
        { shape: [4, 3], range: [-2, 2] },
        { shape: [7, 3], range: [-2, 2], noGrad: true },
        { shape: [4], dtype: "int64", values: [6, -100, 0, 3] },
      ],
      attrs: { ignoreIndex: -100, reduction: "mean", chunkSize: 3 },
    },
    {
      name: "sum, withGrad input, one chunk",
      inputs: [
        { shape: [3, 2], range: [-2, 2] },
        { shape: [5, 2], range: [-2, 2], noGrad: true },
        { shape: [3], dtype: "int64", values: [4, 1, -100] },
        { shape: [], dtype: "bool", values: [1] },
      ],
      attrs: { ignoreIndex: -100, reduction: "sum", chunkSize: 8 },
    },
    {
      name: "none (per-row losses), uneven last chunk, ignored labels",
      inputs: [
        { shape: [5, 3], range: [-2, 2] },
        { shape: [7, 3], range: [-2, 2], noGrad: true },
        { shape: [5], dtype: "int64", values: [2, -100, 6, 0, -100] },
        { shape: [], dtype: "bool", values: [1] },
      ],
      attrs: { ignoreIndex: -100, reduction: "none", chunkSize: 3 },
    },
  ],
});

/** Options of {@link linearCrossEntropy}. */
export interface LinearCrossEntropyOptions {
  /** Label value that marks a position without a target (default −100). */
  ignoreIndex?: number;
  /** `mean` over labelled positions (default), `sum`, or `none`: each row's loss `[N]`, 0 on ignored rows. */
  reduction?: "mean" | "sum" | "none";
  /** Rows of the head weight per chunk (default {@link DEFAULT_LOSS_CHUNK_SIZE}). */
  chunkSize?: number;
  /**
   * A bool scalar (the training step's `train` input): when false, only the loss is computed; when absent, the
   * hidden-state gradient is always computed.
   */
  withGrad?: Tensor;
}

/** Default rows of the head weight per chunk of {@link linearCrossEntropy}. */
export const DEFAULT_LOSS_CHUNK_SIZE = 8192;

/**
 * The cross-entropy of `hidden · weightᵀ` against `labels`, in chunks of the vocabulary, without the
 * `[N, V]` logits: equal to `crossEntropy(linear(hidden, weight), labels)`, with a gradient for `hidden` only
 * (the head weight is frozen).
 * @param hidden - `[N, C]` final hidden states
 * @param weight - `[V, C]` frozen head weight (Hugging Face layout: `lm_head.weight` or tied embeddings)
 * @param labels - `[N]` int64 targets; `ignoreIndex` marks positions without one
 * @param options - ignore index, reduction, chunk size, the `withGrad` flag
 * @returns the scalar loss (NaN for a mean over no labelled position, as `crossEntropy`), or with
 *   `reduction: "none"` each row's loss `[N]` (the negative log-probability of its label; 0 where ignored)
 * @throws ShapeError when the shapes or dtypes do not fit
 * @example
 * ```ts
 * const loss = linearCrossEntropy(reshape(hidden, ["B*T", C]), embed, reshape(labels, ["B*T"]));
 * ```
 */
export function linearCrossEntropy(
  hidden: Tensor,
  weight: Tensor,
  labels: Tensor,
  options: LinearCrossEntropyOptions = {},
): Tensor {
  const attrs: LinearCrossEntropyAttrs = {
    ignoreIndex: options.ignoreIndex ?? -100,
    reduction: options.reduction ?? "mean",
    chunkSize: options.chunkSize ?? DEFAULT_LOSS_CHUNK_SIZE,
  };
  const inputs = [hidden, weight, labels, ...(options.withGrad ? [options.withGrad] : [])];
  return hidden.graph.apply(LinearCrossEntropy, inputs, attrs)[0];
}
