/**
 * Movement ops: reshape, transpose, concat, slice, pad, gather/scatter, (un)squeeze, expand.
 */
import { ShapeError } from "../errors/shape-error";
import { ONNX_DTYPE } from "../ir/dtype";
import type { Tensor, TensorType } from "../ir/graph";
import { type Dim, formatShape, mulDims, normAxis } from "../ir/shape";
import { apply1 } from "./helpers";
import { sumToShapeOf } from "./reduce";
import { attr, defineOp } from "./registry";

export const Reshape = defineOp<{ dims: Dim[] }>({
  name: "Reshape",
  infer: ([x], { dims }) => {
    if (mulDims(...x.shape) !== mulDims(...dims)) {
      throw new Error(
        `cannot reshape ${formatShape(x.shape)} to ${formatShape(dims)}: element counts differ`,
      );
    }
    return [{ dtype: x.dtype, shape: dims }];
  },
  lower: (ctx, a) =>
    void ctx.emit("Reshape", [a.inputs[0], ctx.dims(a.attrs.dims)], {}, { outputs: a.outputs }),
  grad: ({ inputs: [x], dOut: [g] }) => [reshape(g!, x.shape)],
  checks: [{ inputs: [{ shape: [2, 6] }], attrs: { dims: [3, 2, 2] } }],
});

export const Transpose = defineOp<{ perm: number[] }>({
  name: "Transpose",
  infer: ([x], { perm }) => {
    if (perm.length !== x.shape.length || [...perm].sort().some((p, i) => p !== i)) {
      throw new Error(`perm [${perm}] is not a permutation of the ${x.shape.length} axes`);
    }
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
  },
  lower: (ctx, a) =>
    void ctx.emit("Transpose", a.inputs, { perm: attr.ints(a.attrs.perm) }, { outputs: a.outputs }),
  grad: ({ dOut: [g], attrs: { perm } }) => {
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [transpose(g!, inverse)];
  },
  checks: [{ inputs: [{ shape: [2, 3, 4] }], attrs: { perm: [2, 0, 1] } }],
});

export const Concat = defineOp<{ axis: number }>({
  name: "Concat",
  infer: (inputs, { axis }) => {
    const ax = normAxis(axis, inputs[0].shape.length);
    const shape = [...inputs[0].shape];
    shape[ax] = mulDims(0);
    let total: Dim = 0;
    for (const t of inputs) {
      if (t.shape.length !== shape.length || t.dtype !== inputs[0].dtype)
        throw new Error("ranks or dtypes differ");
      t.shape.forEach((d, i) => {
        if (i !== ax && d !== inputs[0].shape[i]) throw new Error(`dimension ${i} differs`);
      });
      total = addDims(total, t.shape[ax]);
    }
    shape[ax] = total;
    return [{ dtype: inputs[0].dtype, shape }];
  },
  lower: (ctx, a) =>
    void ctx.emit("Concat", a.inputs, { axis: attr.int(a.attrs.axis) }, { outputs: a.outputs }),
  grad: ({ inputs, dOut: [g], attrs, wants }) => {
    const ax = normAxis(attrs.axis, g!.rank);
    let start = 0;
    return inputs.map((t, i) => {
      const size = t.shape[ax];
      if (typeof size !== "number") throw new Error("Concat gradient needs a static size along the axis");
      const piece = wants[i] ? slice(g!, ax, start, start + size) : undefined;
      start += size;
      return piece;
    });
  },
  checks: [{ inputs: [{ shape: [2, 2] }, { shape: [2, 3] }], attrs: { axis: 1 } }],
});

function addDims(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  throw new Error("concatenating along a symbolic axis needs static sizes");
}

interface SliceAttrs {
  [k: string]: number;
  axis: number;
  start: number;
  end: number;
}

export const Slice = defineOp<SliceAttrs>({
  name: "Slice",
  infer: ([x], { axis, start, end }) => {
    const ax = normAxis(axis, x.shape.length);
    const d = x.shape[ax];
    if (start < 0 || end < start || (typeof d === "number" && end > d)) {
      throw new Error(`slice [${start}, ${end}) is out of range for dimension ${ax} of size ${d}`);
    }
    const shape = [...x.shape];
    shape[ax] = end - start;
    return [{ dtype: x.dtype, shape }];
  },
  lower: (ctx, a) =>
    void ctx.emit(
      "Slice",
      [a.inputs[0], ctx.int64s([a.attrs.start]), ctx.int64s([a.attrs.end]), ctx.int64s([a.attrs.axis])],
      {},
      { outputs: a.outputs },
    ),
  grad: ({ inputs: [x], dOut: [g], attrs }) => {
    const ax = normAxis(attrs.axis, x.rank);
    const size = x.shape[ax];
    if (typeof size !== "number") throw new Error("Slice gradient needs a static size along the axis");
    return [pad(g!, ax, attrs.start, size - attrs.end)];
  },
  checks: [{ inputs: [{ shape: [2, 5] }], attrs: { axis: 1, start: 1, end: 4 } }],
});

export const Pad = defineOp<{ axis: number; before: number; after: number }>({
  name: "Pad",
  infer: ([x], { axis, before, after }) => {
    const ax = normAxis(axis, x.shape.length);
    const d = x.shape[ax];
    if (typeof d !== "number") throw new Error("Pad needs a static size along the axis");
    const shape = [...x.shape];
    shape[ax] = d + before + after;
    return [{ dtype: x.dtype, shape }];
  },
  lower: (ctx, a) => {
    const rank = a.node.inputs[0].rank;
    const ax = normAxis(a.attrs.axis, rank);
    const pads = new Array(2 * rank).fill(0);
    pads[ax] = a.attrs.before;
    pads[rank + ax] = a.attrs.after;
    ctx.emit(
      "Pad",
      [a.inputs[0], ctx.int64s(pads)],
      { mode: attr.string("constant") },
      { outputs: a.outputs },
    );
  },
  grad: ({ inputs: [x], dOut: [g], attrs }) => {
    const ax = normAxis(attrs.axis, x.rank);
    return [slice(g!, ax, attrs.before, attrs.before + (x.shape[ax] as number))];
  },
  checks: [{ inputs: [{ shape: [2, 3] }], attrs: { axis: 0, before: 1, after: 2 } }],
});

export const Gather = defineOp<{ axis: number }>({
  name: "Gather",
  infer: ([x, idx], { axis }) => {
    if (idx.dtype !== "int64" && idx.dtype !== "int32")
      throw new Error(`indices must be int64/int32, got ${idx.dtype}`);
    const ax = normAxis(axis, x.shape.length);
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, ax), ...idx.shape, ...x.shape.slice(ax + 1)] }];
  },
  lower: (ctx, a) =>
    void ctx.emit("Gather", a.inputs, { axis: attr.int(a.attrs.axis) }, { outputs: a.outputs }),
  grad: ({ inputs: [x, idx], dOut: [g], attrs }) => {
    if (normAxis(attrs.axis, x.rank) !== 0) throw new Error("Gather gradient is implemented for axis 0 only");
    return [scatterAddRows(x, idx, g!), undefined];
  },
  checks: [
    {
      name: "embedding rows with repeats",
      inputs: [{ shape: [4, 3] }, { shape: [2, 3], dtype: "int64", values: [1, 3, 1, 0, 1, 2] }],
      attrs: { axis: 0 },
    },
  ],
});

/** `out = zeros like `like`; out[indices[...]] += updates[...]` (rows along axis 0). */
export const ScatterAddRows = defineOp({
  name: "ScatterAddRows",
  infer: ([like, idx, upd]) => {
    const expected = [...idx.shape, ...like.shape.slice(1)];
    if (upd.shape.length !== expected.length || upd.shape.some((d, i) => d !== expected[i])) {
      throw new Error(`updates must have shape ${formatShape(expected)}, got ${formatShape(upd.shape)}`);
    }
    return [{ dtype: like.dtype, shape: like.shape }];
  },
  lower: (ctx, a) => {
    const [shape] = ctx.emit("Shape", [a.inputs[0]]);
    const zeros = ctx.emit("ConstantOfShape", [shape]);
    // ConstantOfShape defaults to float32 zeros; the cast gives them the data's dtype.
    const [typed] = ctx.emit("Cast", zeros, { to: attr.int(ONNX_DTYPE[a.node.inputs[0].dtype]) });
    const [idx] = ctx.emit("Unsqueeze", [a.inputs[1], ctx.int64s([-1])]);
    ctx.emit(
      "ScatterND",
      [typed, idx, a.inputs[2]],
      { reduction: attr.string("add") },
      { outputs: a.outputs },
    );
  },
  grad: ({ inputs: [, idx], dOut: [g], wants }) => [
    undefined,
    undefined,
    wants[2] ? gather(g!, idx, 0) : undefined,
  ],
  checks: [
    {
      inputs: [
        { shape: [3, 2], noGrad: true },
        { shape: [4], dtype: "int64", values: [0, 2, 0, 1] },
        { shape: [4, 2] },
      ],
    },
  ],
});

export const Unsqueeze = defineOp<{ axes: number[] }>({
  name: "Unsqueeze",
  infer: ([x], { axes }) => {
    const rank = x.shape.length + axes.length;
    const norm = axes.map((a) => normAxis(a, rank)).sort((p, q) => p - q);
    const shape: Dim[] = [...x.shape];
    for (const a of norm) shape.splice(a, 0, 1);
    return [{ dtype: x.dtype, shape }];
  },
  lower: (ctx, a) =>
    void ctx.emit("Unsqueeze", [a.inputs[0], ctx.int64s(a.attrs.axes)], {}, { outputs: a.outputs }),
  grad: ({ inputs: [x], dOut: [g] }) => [reshape(g!, x.shape)],
  checks: [{ inputs: [{ shape: [2, 3] }], attrs: { axes: [0, -1] } }],
});

export const Squeeze = defineOp<{ axes: number[] }>({
  name: "Squeeze",
  infer: ([x], { axes }) => {
    const norm = new Set(axes.map((a) => normAxis(a, x.shape.length)));
    for (const a of norm) if (x.shape[a] !== 1) throw new Error(`axis ${a} has size ${x.shape[a]}, not 1`);
    return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !norm.has(i)) }];
  },
  lower: (ctx, a) =>
    void ctx.emit("Squeeze", [a.inputs[0], ctx.int64s(a.attrs.axes)], {}, { outputs: a.outputs }),
  grad: ({ inputs: [x], dOut: [g] }) => [reshape(g!, x.shape)],
  checks: [{ inputs: [{ shape: [2, 1, 3] }], attrs: { axes: [1] } }],
});

export const Expand = defineOp<{ dims: Dim[] }>({
  name: "Expand",
  infer: ([x], { dims }) => {
    const lead = dims.length - x.shape.length;
    if (lead < 0 || x.shape.some((d, i) => d !== 1 && d !== dims[i + lead])) {
      throw new Error(`cannot expand ${formatShape(x.shape)} to ${formatShape(dims)}`);
    }
    return [{ dtype: x.dtype, shape: dims }];
  },
  lower: (ctx, a) =>
    void ctx.emit("Expand", [a.inputs[0], ctx.dims(a.attrs.dims)], {}, { outputs: a.outputs }),
  grad: ({ inputs: [x], dOut: [g] }) => [sumToShapeOf(g!, x)],
  checks: [{ inputs: [{ shape: [3, 1] }], attrs: { dims: [2, 3, 4] } }],
});

/** Reinterprets `x` with new dimensions (same element count; symbols allowed). */
export const reshape = (x: Tensor, dims: readonly Dim[]): Tensor =>
  sameShape(x.shape, dims) ? x : apply1(Reshape, [x], { dims: [...dims] });
/** Permutes axes. */
export const transpose = (x: Tensor, perm: number[]): Tensor => apply1(Transpose, [x], { perm });
/** Swaps the last two axes. */
export const transposeLast2 = (x: Tensor): Tensor => {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
};
/** Joins tensors along `axis`. */
export const concat = (xs: Tensor[], axis: number): Tensor => apply1(Concat, xs, { axis });
/** Elements `[start, end)` along `axis`. */
export const slice = (x: Tensor, axis: number, start: number, end: number): Tensor =>
  apply1(Slice, [x], { axis, start, end });
/** Zero padding along one axis. */
export const pad = (x: Tensor, axis: number, before: number, after: number): Tensor =>
  apply1(Pad, [x], { axis, before, after });
/** `x[indices]` along `axis` (an embedding lookup when axis is 0). */
export const gather = (x: Tensor, indices: Tensor, axis = 0): Tensor =>
  apply1(Gather, [x, indices], { axis });
/** Adds `updates` into a zero tensor shaped like `like`, at rows `indices`. */
export const scatterAddRows = (like: Tensor, indices: Tensor, updates: Tensor): Tensor =>
  apply1(ScatterAddRows, [like, indices, updates]);
/** Inserts size-1 axes. */
export const unsqueeze = (x: Tensor, axes: number[]): Tensor => apply1(Unsqueeze, [x], { axes });
/** Removes size-1 axes. */
export const squeeze = (x: Tensor, axes: number[]): Tensor => apply1(Squeeze, [x], { axes });
/** Broadcasts to `dims`. */
export const expand = (x: Tensor, dims: readonly Dim[]): Tensor => apply1(Expand, [x], { dims: [...dims] });

function sameShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export type { TensorType };

/**
 * Splits `x` along `axis` into pieces of the given static sizes (a composite of slices).
 * @returns one tensor per size
 * @throws ShapeError when the sizes do not add up to the axis size
 */
export function split(x: Tensor, axis: number, sizes: number[]): Tensor[] {
  const ax = normAxis(axis, x.rank);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (x.shape[ax] !== total)
    throw new ShapeError("Split", [String(x)], `sizes [${sizes}] do not add up to dimension ${ax}`);
  let start = 0;
  return sizes.map((size) => {
    const piece = slice(x, ax, start, start + size);
    start += size;
    return piece;
  });
}
