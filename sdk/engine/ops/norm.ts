/**
 * Normalisation over the last axis, as ops with their own gradients. Each returns the normalised values and
 * the saved reciprocal scale `r` (kept for the backward pass, never differentiated):
 * RMS: `n = x·r`, `r = 1/√(mean(x²)+ε)`, `dx = r ⊙ (dn − n ⊙ mean(dn ⊙ n))`.
 * Layer: `x̂ = (x−μ)·r`, `dx = r ⊙ (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂))`.
 */
import type { Tensor, TensorType } from "../ir/graph";
import { add, mul, sub } from "./elementwise";
import { reduceMean } from "./reduce";
import { attr, defineOp, type LowerContext } from "./registry";

function normRule([x]: readonly TensorType[]): TensorType[] {
  return [
    { dtype: x.dtype, shape: x.shape },
    { dtype: x.dtype, shape: [...x.shape.slice(0, -1), 1] },
  ];
}

function noScaleGradient(dR: Tensor | undefined, op: string): void {
  if (dR) throw new Error(`${op}: its second output (the saved scale) cannot be differentiated`);
}

function reciprocalRms(ctx: LowerContext, x: string, eps: number, dtype: string, out: string): void {
  const [sq] = ctx.emit("Mul", [x, x]);
  const [ms] = ctx.emit("ReduceMean", [sq], { axes: attr.ints([-1]), keepdims: attr.int(1) });
  const [shifted] = ctx.emit("Add", [ms, ctx.scalar(eps, dtype === "float64" ? "float64" : "float32")]);
  const [root] = ctx.emit("Sqrt", [shifted]);
  ctx.emit("Reciprocal", [root], {}, { outputs: [out] });
}

export const RmsNormalize = defineOp<{ eps: number }>({
  name: "RmsNormalize",
  infer: normRule,
  lower: (ctx, a) => {
    reciprocalRms(ctx, a.inputs[0], a.attrs.eps, a.node.inputs[0].dtype, a.outputs[1]);
    ctx.emit("Mul", [a.inputs[0], a.outputs[1]], {}, { outputs: [a.outputs[0]] });
  },
  grad: ({ outputs: [n, r], dOut: [dn, dr] }) => {
    noScaleGradient(dr, "RmsNormalize");
    return [mul(r, sub(dn!, mul(n, reduceMean(mul(dn!, n), [-1], true))))];
  },
  checks: [{ inputs: [{ shape: [3, 5] }], attrs: { eps: 1e-6 } }],
});

export const LayerNormalize = defineOp<{ eps: number }>({
  name: "LayerNormalize",
  infer: normRule,
  lower: (ctx, a) => {
    const [mu] = ctx.emit("ReduceMean", [a.inputs[0]], { axes: attr.ints([-1]), keepdims: attr.int(1) });
    const [xc] = ctx.emit("Sub", [a.inputs[0], mu]);
    reciprocalRms(ctx, xc, a.attrs.eps, a.node.inputs[0].dtype, a.outputs[1]);
    ctx.emit("Mul", [xc, a.outputs[1]], {}, { outputs: [a.outputs[0]] });
  },
  grad: ({ outputs: [xh, r], dOut: [dxh, dr] }) => {
    noScaleGradient(dr, "LayerNormalize");
    const centred = sub(dxh!, reduceMean(dxh!, [-1], true));
    return [mul(r, sub(centred, mul(xh, reduceMean(mul(dxh!, xh), [-1], true))))];
  },
  checks: [{ inputs: [{ shape: [3, 5] }], attrs: { eps: 1e-5 } }],
});

/**
 * RMSNorm with a weight: `x / rms(x) · w`, or `· (1 + w)` when `unitOffset` (Gemma).
 * @param x - input `[..., C]`
 * @param weight - `[C]`
 * @param eps - added to the mean square
 * @param unitOffset - Gemma's `(1 + w)` convention
 */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number, unitOffset = false): Tensor {
  const [n] = x.graph.apply(RmsNormalize, [x], { eps });
  return mul(n, unitOffset ? add(weight, 1) : weight);
}

/** LayerNorm `(x − μ)/σ · w + b` over the last axis. */
export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor | undefined, eps: number): Tensor {
  const [xh] = x.graph.apply(LayerNormalize, [x], { eps });
  const scaled = mul(xh, weight);
  return bias ? add(scaled, bias) : scaled;
}
