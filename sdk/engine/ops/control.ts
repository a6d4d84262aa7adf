/**
 * Gradient control: `If` runs one of two branches; `StopGradient` passes a value forward and none backward.
 *
 * `If`: runs one of two branches. Used so that one session serves both the training step (then-branch:
 * backward and optimizer update) and evaluation (else-branch: parameters passed through), with the frozen
 * weights loaded once. Branch outputs must agree in dtype and rank.
 */
import type { Tensor } from "../ir/graph";
import { formatShape } from "../ir/shape";
import { sameAsInput } from "./helpers";
import { defineOp, type LowerContext } from "./registry";

type BranchContext = LowerContext & { branch(outputs: readonly Tensor[], label: string): unknown };

export const If = defineOp<{ thenOutputs: Tensor[]; elseOutputs: Tensor[] }>({
  name: "If",
  infer: ([cond], { thenOutputs, elseOutputs }) => {
    if (cond.dtype !== "bool" || cond.shape.length !== 0) throw new Error("condition must be a bool scalar");
    if (thenOutputs.length !== elseOutputs.length)
      throw new Error("branches return different numbers of outputs");
    return thenOutputs.map((t, i) => {
      const e = elseOutputs[i];
      if (t.dtype !== e.dtype || t.rank !== e.rank) {
        throw new Error(
          `branch output ${i} differs: ${t.dtype}${formatShape(t.shape)} vs ${e.dtype}${formatShape(e.shape)}`,
        );
      }
      return { dtype: t.dtype, shape: t.shape };
    });
  },
  lower: (ctx, a) => {
    const bctx = ctx as BranchContext;
    const thenGraph = bctx.branch(a.attrs.thenOutputs, "then");
    const elseGraph = bctx.branch(a.attrs.elseOutputs, "else");
    ctx.emit(
      "If",
      a.inputs,
      { then_branch: { type: "graph", value: thenGraph }, else_branch: { type: "graph", value: elseGraph } },
      { outputs: a.outputs },
    );
  },
  grad: "none",
});

/**
 * `cond ? thenOutputs : elseOutputs`, computing only the branch taken.
 * @param cond - bool scalar
 * @param thenOutputs - tensors returned when true
 * @param elseOutputs - tensors returned when false (same dtypes and ranks)
 * @returns the selected tensors
 */
export function ifThenElse(cond: Tensor, thenOutputs: Tensor[], elseOutputs: Tensor[]): Tensor[] {
  return cond.graph.apply(If, [cond], { thenOutputs, elseOutputs });
}

/**
 * The identity in the forward pass whose gradient is zero: the value is a constant to the backward pass (PyTorch's
 * `detach`). Its check case marks the input `noGrad`, since by definition no gradient matches central differences
 * through it; `sdk/models/lora/dora.test.ts` checks that none flows.
 */
export const StopGradient = defineOp({
  name: "StopGradient",
  infer: sameAsInput,
  lower: (ctx, a) => void ctx.emit("Identity", a.inputs, {}, { outputs: a.outputs }),
  grad: ({ inputs }) => inputs.map(() => undefined),
  checks: [{ name: "no gradient flows", inputs: [{ shape: [2, 3], noGrad: true }] }],
});

/**
 * `x` in the forward pass, a constant in the backward pass (no gradient flows through it), as PyTorch's `detach`.
 * @param x - any tensor
 * @returns the same values
 * @example
 * ```ts
 * const norm = stopGradient(sqrt(reduceSum(mul(w, w), [1]))); // DoRA's detached weight norm
 * ```
 */
export const stopGradient = (x: Tensor): Tensor => x.graph.apply(StopGradient, [x], {})[0];
