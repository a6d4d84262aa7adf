import { type DType, typedArrayOf } from "../ir/dtype";
import type { Tensor, TensorType } from "../ir/graph";
import { broadcastShapes, formatShape, type Shape } from "../ir/shape";
import type { OpDef } from "./registry";

/** A tensor, or a number that becomes a scalar constant of the other operand's dtype. */
export type TensorLike = Tensor | number;

/** Applies a single-output op. */
export function apply1(op: OpDef, inputs: readonly Tensor[], attrs: object = {}): Tensor {
  return inputs[0].graph.apply(op, inputs, attrs)[0];
}

/** Turns numbers into scalar constants matching the dtype of the first tensor among `xs`. */
export function lift(...xs: TensorLike[]): Tensor[] {
  const ref = xs.find((x): x is Tensor => typeof x !== "number");
  if (!ref) throw new Error("at least one operand must be a tensor");
  return xs.map((x) => (typeof x === "number" ? scalarLike(ref, x) : x));
}

/** A scalar constant with `like`'s dtype. */
export function scalarLike(like: Tensor, value: number, dtype: DType = like.dtype): Tensor {
  return like.graph.constant(typedArrayOf(dtype, [value]), dtype, []);
}

/** Shape rule of a broadcasting elementwise op whose inputs share one dtype. */
export function broadcastRule(name: string, outDtype?: DType) {
  return (inputs: readonly TensorType[]): TensorType[] => {
    let shape: Shape = inputs[0].shape;
    for (const t of inputs.slice(1)) {
      if (t.dtype !== inputs[0].dtype) {
        throw new Error(`dtypes differ (${inputs.map((i) => i.dtype).join(" vs ")}); insert a cast`);
      }
      const b = broadcastShapes(shape, t.shape);
      if (!b)
        throw new Error(`shapes ${inputs.map((i) => formatShape(i.shape)).join(" and ")} do not broadcast`);
      shape = b;
    }
    void name;
    return [{ dtype: outDtype ?? inputs[0].dtype, shape }];
  };
}

/** Shape rule of an op whose single output has its input's type. */
export function sameAsInput(inputs: readonly TensorType[]): TensorType[] {
  return [{ dtype: inputs[0].dtype, shape: inputs[0].shape }];
}

/** Deterministic pseudo-random numbers (mulberry32), shared with the rest of the SDK. */
export { seededRandom } from "../../util/seeded-random";
