/**
 * Cross-entropy over logits `[N, V]` and integer labels `[N]`, ignoring labels equal to `ignoreIndex`.
 * Forward is ONNX `SoftmaxCrossEntropyLoss`; its log-probabilities are saved for the backward pass:
 * `dlogits = (softmax − onehot(label)) · valid / count` (mean) — no one-hot is materialised in the forward.
 */
import { typedArrayOf } from "../ir/dtype";
import type { Tensor } from "../ir/graph";
import { cast, div, equal, exp, mul, not, sub, where } from "./elementwise";
import { reshape, unsqueeze } from "./movement";
import { reduceSum } from "./reduce";
import { attr, defineOp } from "./registry";

interface CrossEntropyAttrs {
  [k: string]: number | string;
  ignoreIndex: number;
  reduction: "mean" | "sum" | "none";
}

export const SoftmaxCrossEntropy = defineOp<CrossEntropyAttrs>({
  name: "SoftmaxCrossEntropy",
  infer: ([logits, labels], a) => {
    if (logits.shape.length !== 2) throw new Error("logits must be [N, V]");
    if (labels.dtype !== "int64") throw new Error(`labels must be int64, got ${labels.dtype}`);
    if (labels.shape.length !== 1 || labels.shape[0] !== logits.shape[0])
      throw new Error("labels must be [N]");
    return [
      { dtype: logits.dtype, shape: a.reduction === "none" ? [logits.shape[0]] : [] },
      { dtype: logits.dtype, shape: logits.shape },
    ];
  },
  lower: (ctx, a) =>
    void ctx.emit(
      "SoftmaxCrossEntropyLoss",
      a.inputs,
      { ignore_index: attr.int(a.attrs.ignoreIndex), reduction: attr.string(a.attrs.reduction) },
      { outputs: a.outputs },
    ),
  grad: ({ inputs: [logits, labels], outputs: [, logProb], dOut: [g, dLogProb], attrs }) => {
    if (dLogProb)
      throw new Error("SoftmaxCrossEntropy: its log-probabilities output cannot be differentiated");
    const vocab = logits.shape[1];
    if (typeof vocab !== "number")
      throw new Error("SoftmaxCrossEntropy gradient needs a static vocabulary size");
    const ignored = equal(labels, attrs.ignoreIndex);
    const valid = cast(not(ignored), logits.dtype);
    const ids = logits.graph.constant(
      typedArrayOf(
        "int64",
        Array.from({ length: vocab }, (_, i) => i),
      ),
      "int64",
      [1, vocab],
    );
    const onehot = cast(equal(ids, unsqueeze(where(ignored, 0, labels), [1])), logits.dtype);
    let weight = valid;
    if (attrs.reduction === "mean") weight = div(valid, reduceSum(valid, [0]));
    const rows = (t: Tensor) => reshape(t, [logits.shape[0], 1]);
    const scale = attrs.reduction === "none" ? mul(rows(weight), rows(g!)) : mul(rows(weight), g!);
    return [mul(sub(exp(logProb), onehot), scale), undefined];
  },
  checks: [
    {
      name: "mean with ignored label",
      inputs: [
        { shape: [3, 4], range: [-2, 2] },
        { shape: [3], dtype: "int64", values: [1, -100, 3] },
      ],
      attrs: { ignoreIndex: -100, reduction: "mean" },
      float32Only: true,
    },
    {
      name: "sum",
      inputs: [
        { shape: [2, 5], range: [-2, 2] },
        { shape: [2], dtype: "int64", values: [4, 0] },
      ],
      attrs: { ignoreIndex: -100, reduction: "sum" },
      float32Only: true,
    },
    {
      name: "none (per-row losses) with ignored label",
      inputs: [
        { shape: [4, 3], range: [-2, 2] },
        { shape: [4], dtype: "int64", values: [2, -100, 0, 1] },
      ],
      attrs: { ignoreIndex: -100, reduction: "none" },
      float32Only: true,
    },
  ],
});

/**
 * Mean (or summed) cross-entropy of `logits` `[N, V]` against `labels` `[N]` (int64), skipping `ignoreIndex`;
 * `reduction: "none"` gives each row's loss `[N]` instead (0 on ignored rows).
 * @returns the scalar loss, or the `[N]` row losses
 */
export function crossEntropy(
  logits: Tensor,
  labels: Tensor,
  options: { ignoreIndex?: number; reduction?: "mean" | "sum" | "none" } = {},
): Tensor {
  const attrs = { ignoreIndex: options.ignoreIndex ?? -100, reduction: options.reduction ?? "mean" };
  return logits.graph.apply(SoftmaxCrossEntropy, [logits, labels], attrs)[0];
}

/** Per-token log-probabilities `[N, V]` and the loss, for metrics such as perplexity. */
export function crossEntropyWithLogProbs(
  logits: Tensor,
  labels: Tensor,
  ignoreIndex = -100,
): [Tensor, Tensor] {
  const [loss, logProb] = logits.graph.apply(SoftmaxCrossEntropy, [logits, labels], {
    ignoreIndex,
    reduction: "sum",
  });
  return [loss, logProb];
}
