/**
 * Softmax and log-softmax over the last axis, each with its own efficient gradient:
 * softmax `dX = P ⊙ (dP − Σ(dP ⊙ P))`; log-softmax `dX = dY − softmax(X) ⊙ ΣdY`.
 */
import type { Tensor } from "../ir/graph";
import { exp, mul, sub } from "./elementwise";
import { apply1, sameAsInput } from "./helpers";
import { reduceSum } from "./reduce";
import { attr, defineOp } from "./registry";

export const Softmax = defineOp({
  name: "Softmax",
  infer: sameAsInput,
  lower: (ctx, a) => void ctx.emit("Softmax", a.inputs, { axis: attr.int(-1) }, { outputs: a.outputs }),
  grad: ({ outputs: [p], dOut: [g] }) => [mul(p, sub(g!, reduceSum(mul(g!, p), [-1], true)))],
  checks: [{ inputs: [{ shape: [2, 4], range: [-3, 3] }] }],
});

export const LogSoftmax = defineOp({
  name: "LogSoftmax",
  infer: sameAsInput,
  lower: (ctx, a) => void ctx.emit("LogSoftmax", a.inputs, { axis: attr.int(-1) }, { outputs: a.outputs }),
  grad: ({ outputs: [y], dOut: [g] }) => [sub(g!, mul(exp(y), reduceSum(g!, [-1], true)))],
  checks: [{ inputs: [{ shape: [2, 4], range: [-3, 3] }] }],
});

/** Softmax over the last axis. */
export const softmax = (x: Tensor): Tensor => apply1(Softmax, [x]);
/** Log-softmax over the last axis. */
export const logSoftmax = (x: Tensor): Tensor => apply1(LogSoftmax, [x]);
