/**
 * Reductions (sum, mean, max over axes) and the broadcast helpers gradients need: `sumToShapeOf` reduces a
 * broadcast gradient back to an input's shape, `expandAs` broadcasts to another tensor's runtime shape.
 */
import { type DType, ONNX_DTYPE } from "../ir/dtype";
import type { Tensor, TensorType } from "../ir/graph";
import { type Dim, normAxis } from "../ir/shape";
import { cast, div, equal, mul } from "./elementwise";
import { apply1 } from "./helpers";
import { reshape } from "./movement";
import { attr, defineOp, type GradCheckCase } from "./registry";

interface ReduceAttrs {
  [k: string]: number[] | boolean;
  axes: number[];
  keepdims: boolean;
}

function reduceRule([x]: readonly TensorType[], { axes, keepdims }: ReduceAttrs): TensorType[] {
  const norm = new Set(axes.map((a) => normAxis(a, x.shape.length)));
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!norm.has(i)) shape.push(d);
    else if (keepdims) shape.push(1);
  });
  return [{ dtype: x.dtype, shape }];
}

function keptShape(x: Tensor, axes: number[]): Dim[] {
  const norm = new Set(axes.map((a) => normAxis(a, x.rank)));
  return x.shape.map((d, i) => (norm.has(i) ? 1 : d));
}

/** The upstream gradient of a reduction, broadcast back to the input's shape. */
function spread(g: Tensor, x: Tensor, attrs: ReduceAttrs): Tensor {
  const kept = attrs.keepdims ? g : reshape(g, keptShape(x, attrs.axes));
  return expandAs(kept, x);
}

const reduceChecks: GradCheckCase[] = [
  { name: "last axis", inputs: [{ shape: [2, 3] }], attrs: { axes: [-1], keepdims: false } },
  { name: "two axes keepdims", inputs: [{ shape: [2, 3, 2] }], attrs: { axes: [0, 2], keepdims: true } },
];

export const ReduceSum = defineOp<ReduceAttrs>({
  name: "ReduceSum",
  infer: reduceRule,
  lower: (ctx, a) =>
    void ctx.emit(
      "ReduceSum",
      [a.inputs[0], ctx.int64s(a.attrs.axes)],
      { keepdims: attr.int(a.attrs.keepdims ? 1 : 0) },
      { outputs: a.outputs },
    ),
  grad: ({ inputs: [x], dOut: [g], attrs }) => [spread(g!, x, attrs)],
  checks: reduceChecks,
});

export const ReduceMean = defineOp<ReduceAttrs>({
  name: "ReduceMean",
  infer: reduceRule,
  lower: (ctx, a) =>
    void ctx.emit(
      "ReduceMean",
      [a.inputs[0]],
      { axes: attr.ints(a.attrs.axes), keepdims: attr.int(a.attrs.keepdims ? 1 : 0) },
      { outputs: a.outputs },
    ),
  grad: ({ inputs: [x], dOut: [g], attrs }) => [div(spread(g!, x, attrs), sizeOf(x, attrs.axes))],
  checks: reduceChecks,
});

export const ReduceMax = defineOp<ReduceAttrs>({
  name: "ReduceMax",
  infer: reduceRule,
  lower: (ctx, a) =>
    void ctx.emit(
      "ReduceMax",
      [a.inputs[0]],
      { axes: attr.ints(a.attrs.axes), keepdims: attr.int(a.attrs.keepdims ? 1 : 0) },
      { outputs: a.outputs },
    ),
  grad: ({ inputs: [x], outputs: [y], dOut: [g], attrs }) => {
    // Ties share the gradient equally.
    const hit = cast(equal(x, spread(y, x, attrs)), x.dtype);
    const count = expandAs(reduceSum(hit, attrs.axes, true), x);
    return [div(mul(hit, spread(g!, x, attrs)), count)];
  },
  checks: reduceChecks,
});

/** Product of `x`'s dimensions along `axes`, as a scalar of `x`'s dtype, read at run time. */
export const SizeOf = defineOp<{ axes: number[]; dtype: DType }>({
  name: "SizeOf",
  infer: (_inputs, { dtype }) => [{ dtype, shape: [] }],
  lower: (ctx, a) => {
    const [shape] = ctx.emit("Shape", [a.inputs[0]]);
    const [picked] = ctx.emit("Gather", [shape, ctx.int64s(a.attrs.axes)], { axis: attr.int(0) });
    const [prod] = ctx.emit("ReduceProd", [picked], { keepdims: attr.int(0) });
    ctx.emit("Cast", [prod], { to: attr.int(ONNX_DTYPE[a.attrs.dtype]) }, { outputs: a.outputs });
  },
  grad: "none",
});

/** Broadcasts `x` to the runtime shape of `like` (gradient: summed back to `x`'s shape). */
export const ExpandAs = defineOp({
  name: "ExpandAs",
  infer: ([x, like]) => [{ dtype: x.dtype, shape: like.shape }],
  lower: (ctx, a) => {
    const [shape] = ctx.emit("Shape", [a.inputs[1]]);
    ctx.emit("Expand", [a.inputs[0], shape], {}, { outputs: a.outputs });
  },
  grad: ({ inputs: [x], dOut: [g], wants }) => [wants[0] ? sumToShapeOf(g!, x) : undefined, undefined],
  checks: [{ inputs: [{ shape: [3, 1] }, { shape: [2, 3, 4], noGrad: true }] }],
});

/** Sum over `axes`. */
export const reduceSum = (x: Tensor, axes: number[], keepdims = false): Tensor =>
  apply1(ReduceSum, [x], { axes, keepdims });
/** Mean over `axes`. */
export const reduceMean = (x: Tensor, axes: number[], keepdims = false): Tensor =>
  apply1(ReduceMean, [x], { axes, keepdims });
/** Max over `axes`. */
export const reduceMax = (x: Tensor, axes: number[], keepdims = false): Tensor =>
  apply1(ReduceMax, [x], { axes, keepdims });
/** Number of elements of `x` along `axes` (all axes by default), as a scalar of `dtype`. */
export const sizeOf = (x: Tensor, axes?: number[], dtype: DType = x.dtype): Tensor =>
  apply1(SizeOf, [x], { axes: axes ?? x.shape.map((_, i) => i), dtype });
/** Broadcasts `x` to `like`'s shape. */
export const expandAs = (x: Tensor, like: Tensor): Tensor => apply1(ExpandAs, [x, like]);

/**
 * Sums a gradient `g` (shaped like a broadcast result) back to the shape of `x`: leading axes `x` lacks and
 * axes where `x` has size 1 are summed.
 */
export function sumToShapeOf(g: Tensor, x: Tensor): Tensor {
  if (g.rank === x.rank && g.shape.every((d, i) => d === x.shape[i])) return g;
  const lead = g.rank - x.rank;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (x.shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length ? reduceSum(g, axes, true) : g;
  return summed.rank === x.rank ? summed : reshape(summed, x.shape);
}
