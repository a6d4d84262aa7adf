/**
 * Elementwise ops: broadcasting arithmetic, unary math, comparisons, selection and casts.
 */
import { type DType, ONNX_DTYPE } from "../ir/dtype";
import type { Tensor } from "../ir/graph";
import { apply1, broadcastRule, lift, sameAsInput, scalarLike, type TensorLike } from "./helpers";
import { sumToShapeOf } from "./reduce";
import { attr, defineOp, type GradCheckCase, type LowerArgs, type LowerContext } from "./registry";

const plain = (onnxType: string) => (ctx: LowerContext, a: LowerArgs) =>
  void ctx.emit(onnxType, a.inputs, {}, { outputs: a.outputs });

const binCheck: GradCheckCase[] = [
  { name: "same shape", inputs: [{ shape: [2, 3] }, { shape: [2, 3] }] },
  { name: "broadcast", inputs: [{ shape: [2, 1, 3] }, { shape: [4, 1] }] },
];
const posBinCheck: GradCheckCase[] = [
  {
    inputs: [
      { shape: [2, 3], range: [0.5, 2] },
      { shape: [2, 3], range: [0.5, 2] },
    ],
  },
  {
    name: "broadcast",
    inputs: [
      { shape: [3, 2], range: [0.5, 2] },
      { shape: [2], range: [0.5, 2] },
    ],
  },
];

export const Add = defineOp({
  name: "Add",
  infer: broadcastRule("Add"),
  lower: plain("Add"),
  grad: ({ inputs, dOut }) => [sumToShapeOf(dOut[0]!, inputs[0]), sumToShapeOf(dOut[0]!, inputs[1])],
  checks: binCheck,
});

export const Sub = defineOp({
  name: "Sub",
  infer: broadcastRule("Sub"),
  lower: plain("Sub"),
  grad: ({ inputs, dOut }) => [sumToShapeOf(dOut[0]!, inputs[0]), sumToShapeOf(neg(dOut[0]!), inputs[1])],
  checks: binCheck,
});

export const Mul = defineOp({
  name: "Mul",
  infer: broadcastRule("Mul"),
  lower: plain("Mul"),
  grad: ({ inputs: [a, b], dOut: [g], wants }) => [
    wants[0] ? sumToShapeOf(mul(g!, b), a) : undefined,
    wants[1] ? sumToShapeOf(mul(g!, a), b) : undefined,
  ],
  checks: binCheck,
});

export const Div = defineOp({
  name: "Div",
  infer: broadcastRule("Div"),
  lower: plain("Div"),
  grad: ({ inputs: [a, b], outputs: [y], dOut: [g], wants }) => [
    wants[0] ? sumToShapeOf(div(g!, b), a) : undefined,
    wants[1] ? sumToShapeOf(neg(div(mul(g!, y), b)), b) : undefined,
  ],
  checks: posBinCheck,
});

export const Pow = defineOp({
  name: "Pow",
  infer: broadcastRule("Pow"),
  lower: plain("Pow"),
  grad: ({ inputs: [a, b], outputs: [y], dOut: [g], wants }) => [
    wants[0] ? sumToShapeOf(mul(g!, mul(b, pow(a, sub(b, 1)))), a) : undefined,
    wants[1] ? sumToShapeOf(mul(g!, mul(y, log(a))), b) : undefined,
  ],
  checks: posBinCheck,
});

/** Declares a unary op whose gradient is `g * local(x, y)`. */
function unary(name: string, local: (x: Tensor, y: Tensor) => Tensor, checks?: GradCheckCase[]) {
  return defineOp({
    name,
    infer: sameAsInput,
    lower: plain(name),
    grad: ({ inputs: [x], outputs: [y], dOut: [g] }) => [mul(g!, local(x, y))],
    checks: checks ?? [{ inputs: [{ shape: [2, 3] }] }],
  });
}

const positive: GradCheckCase[] = [{ inputs: [{ shape: [2, 3], range: [0.3, 2] }] }];
export const Neg = unary("Neg", (x) => scalarLike(x, -1));
export const Exp = unary("Exp", (_x, y) => y);
export const Log = unary("Log", (x) => reciprocal(x), positive);
export const Sqrt = unary("Sqrt", (_x, y) => div(0.5, y), positive);
export const Reciprocal = unary("Reciprocal", (_x, y) => neg(mul(y, y)), positive);
export const Tanh = unary("Tanh", (_x, y) => sub(1, mul(y, y)));
export const Sigmoid = unary("Sigmoid", (_x, y) => mul(y, sub(1, y)));
// onnxruntime has no float64 Erf kernel: checked in float32.
export const Erf = unary("Erf", (x) => mul(2 / Math.sqrt(Math.PI), exp(neg(mul(x, x)))), [
  { inputs: [{ shape: [2, 3] }], float32Only: true },
]);
export const Sin = unary("Sin", (x) => cos(x));
export const Cos = unary("Cos", (x) => neg(sin(x)));
export const Relu = unary("Relu", (x) => cast(greater(x, 0), x.dtype), [
  { inputs: [{ shape: [2, 3], values: [-1, -0.5, 0.3, 0.7, 1.2, -2] }] },
]);

/** Declares a comparison or logical op (no gradient). */
function predicate(name: string, logical = false) {
  return defineOp({
    name,
    infer: (inputs) => {
      const [t] = broadcastRule(name)(inputs);
      if (logical && inputs.some((i) => i.dtype !== "bool")) throw new Error("expects bool inputs");
      return [{ dtype: "bool" as DType, shape: t.shape }];
    },
    lower: plain(name),
    grad: "none",
  });
}
export const Equal = predicate("Equal");
export const Less = predicate("Less");
export const LessOrEqual = predicate("LessOrEqual");
export const Greater = predicate("Greater");
export const And = predicate("And", true);
export const Or = predicate("Or", true);

export const Not = defineOp({ name: "Not", infer: sameAsInput, lower: plain("Not"), grad: "none" });

/** Integer remainder (non-negative operands), used by the seeded random hash. */
export const Mod = defineOp({
  name: "Mod",
  infer: broadcastRule("Mod"),
  lower: (ctx, a) => void ctx.emit("Mod", a.inputs, { fmod: attr.int(0) }, { outputs: a.outputs }),
  grad: "none",
});

export const Where = defineOp({
  name: "Where",
  infer: ([c, x, y]) => {
    if (c.dtype !== "bool") throw new Error(`condition must be bool, got ${c.dtype}`);
    const [xy] = broadcastRule("Where")([x, y]);
    const [out] = broadcastRule("Where")([{ dtype: xy.dtype, shape: c.shape }, xy]);
    return [out];
  },
  lower: plain("Where"),
  grad: ({ inputs: [c, x, y], dOut: [g], wants }) => {
    const zero = scalarLike(g!, 0);
    return [
      undefined,
      wants[1] ? sumToShapeOf(where(c, g!, zero), x) : undefined,
      wants[2] ? sumToShapeOf(where(c, zero, g!), y) : undefined,
    ];
  },
  checks: [
    {
      inputs: [
        { shape: [2, 3], dtype: "bool", values: [1, 0, 1, 0, 0, 1] },
        { shape: [2, 3] },
        { shape: [3] },
      ],
    },
  ],
});

export const Cast = defineOp<{ to: DType }>({
  name: "Cast",
  infer: ([x], { to }) => [{ dtype: to, shape: x.shape }],
  lower: (ctx, a) =>
    void ctx.emit("Cast", a.inputs, { to: attr.int(ONNX_DTYPE[a.attrs.to]) }, { outputs: a.outputs }),
  grad: ({ inputs: [x], dOut: [g] }) => [cast(g!, x.dtype)],
  checks: [{ inputs: [{ shape: [2, 2] }], attrs: { to: "float32" }, float32Only: true }],
});

/** `a + b` with broadcasting. */
export const add = (a: TensorLike, b: TensorLike): Tensor => apply1(Add, lift(a, b));
/** `a - b` with broadcasting. */
export const sub = (a: TensorLike, b: TensorLike): Tensor => apply1(Sub, lift(a, b));
/** `a * b` with broadcasting. */
export const mul = (a: TensorLike, b: TensorLike): Tensor => apply1(Mul, lift(a, b));
/** `a / b` with broadcasting. */
export const div = (a: TensorLike, b: TensorLike): Tensor => apply1(Div, lift(a, b));
/** `a ** b` with broadcasting. */
export const pow = (a: TensorLike, b: TensorLike): Tensor => apply1(Pow, lift(a, b));
/** `-x` */
export const neg = (x: Tensor): Tensor => apply1(Neg, [x]);
/** `e^x` */
export const exp = (x: Tensor): Tensor => apply1(Exp, [x]);
/** natural log */
export const log = (x: Tensor): Tensor => apply1(Log, [x]);
/** square root */
export const sqrt = (x: Tensor): Tensor => apply1(Sqrt, [x]);
/** `1 / sqrt(x)` (composite). */
export const rsqrt = (x: Tensor): Tensor => reciprocal(sqrt(x));
/** `1 / x` */
export const reciprocal = (x: Tensor): Tensor => apply1(Reciprocal, [x]);
/** hyperbolic tangent */
export const tanh = (x: Tensor): Tensor => apply1(Tanh, [x]);
/** logistic sigmoid */
export const sigmoid = (x: Tensor): Tensor => apply1(Sigmoid, [x]);
/** error function */
export const erf = (x: Tensor): Tensor => apply1(Erf, [x]);
/** sine */
export const sin = (x: Tensor): Tensor => apply1(Sin, [x]);
/** cosine */
export const cos = (x: Tensor): Tensor => apply1(Cos, [x]);
/** `max(x, 0)` */
export const relu = (x: Tensor): Tensor => apply1(Relu, [x]);
/** `a == b` (bool) */
export const equal = (a: TensorLike, b: TensorLike): Tensor => apply1(Equal, lift(a, b));
/** `a < b` (bool) */
export const less = (a: TensorLike, b: TensorLike): Tensor => apply1(Less, lift(a, b));
/** `a <= b` (bool) */
export const lessOrEqual = (a: TensorLike, b: TensorLike): Tensor => apply1(LessOrEqual, lift(a, b));
/** `a > b` (bool) */
export const greater = (a: TensorLike, b: TensorLike): Tensor => apply1(Greater, lift(a, b));
/** logical and */
export const and = (a: Tensor, b: Tensor): Tensor => apply1(And, [a, b]);
/** logical or */
export const or = (a: Tensor, b: Tensor): Tensor => apply1(Or, [a, b]);
/** logical not */
export const not = (a: Tensor): Tensor => apply1(Not, [a]);
/** integer remainder */
export const mod = (a: TensorLike, b: TensorLike): Tensor => apply1(Mod, lift(a, b));
/** `cond ? x : y`, broadcasting. */
export const where = (cond: Tensor, x: TensorLike, y: TensorLike): Tensor =>
  apply1(Where, [cond, ...lift(x, y)]);
/** Converts to another dtype (no-op when equal). */
export const cast = (x: Tensor, to: DType): Tensor => (x.dtype === to ? x : apply1(Cast, [x], { to }));
