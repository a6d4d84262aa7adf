/**
 * The fused training-step graph: forward, backward, clipping and AdamW in one ONNX model, with evaluation
 * (forward only, parameters passed through) in the same session via `If(train)`, and optional gradient
 * accumulation via a nested `If(apply)`.
 *
 * Inputs: the data inputs, each trainable tensor (fed, since onnxruntime cannot update initializers), its
 * moments `m.<name>`/`v.<name>`, `lr`, `step` (1-based, float), `train` (bool), and with accumulation
 * `acc.<name>`, `apply` (bool), `grad_weight` (this micro-batch's gradient is added to the accumulator times it)
 * and `grad_scale` (the accumulated total is multiplied by it before clipping and the update). Outputs: `loss`, `grad_norm`, `new.<name>`, `new_m.<name>`,
 * `new_v.<name>`, with accumulation `new_acc.<name>`, plus any extra outputs.
 */

import { grad } from "../autodiff";
import type { Graph, Tensor } from "../ir/graph";
import { ifThenElse } from "../ops/control";
import { add, mul } from "../ops/elementwise";
import { scalarLike } from "../ops/helpers";
import { expandAs } from "../ops/reduce";
import { type AdamWOptions, adamwUpdate, clipByGlobalNorm, globalNorm } from "./adamw";

/** Options of {@link buildStepGraph}. */
export interface StepGraphOptions {
  /** Scalar loss. */
  loss: Tensor;
  /** Trainable parameters (created with `graph.param(..., { trainable: true })`). */
  params: readonly Tensor[];
  /** AdamW hyperparameters. */
  optimizer?: AdamWOptions;
  /** Names of parameters excluded from weight decay. */
  noDecay?: ReadonlySet<string>;
  /** Clip gradients to this global norm (default: no clipping). */
  maxGradNorm?: number;
  /** Build the gradient-accumulation variant. */
  accumulate?: boolean;
  /** Extra outputs (e.g. logits), computed in both modes. */
  extraOutputs?: Record<string, Tensor>;
  /**
   * The bool scalar input `train`, when the loss already reads it (created with
   * `graph.input("train", "bool", [])`, e.g. as `linearCrossEntropy`'s `withGrad`); created here otherwise.
   */
  train?: Tensor;
}

/** A built step graph: its outputs and the names involved. */
export interface StepGraph {
  graph: Graph;
  outputs: Record<string, Tensor>;
  paramNames: string[];
  accumulate: boolean;
}

function nameOf(t: Tensor): string {
  if (t.source.kind !== "param") throw new Error(`trainable tensors must be parameters, got ${t}`);
  return t.source.name;
}

/**
 * Builds the fused step graph.
 * @param options - loss, trainable parameters, optimizer settings
 * @returns the graph's outputs, ready for `emitOnnx`/`compile` with the parameters as inputs
 * @throws Error when a trainable tensor is not a parameter or the loss does not depend on it
 */
export function buildStepGraph(options: StepGraphOptions): StepGraph {
  const { loss, params } = options;
  const g = loss.graph;
  const names = params.map(nameOf);
  const m = params.map((p, i) => g.input(`m.${names[i]}`, p.dtype, p.shape));
  const v = params.map((p, i) => g.input(`v.${names[i]}`, p.dtype, p.shape));
  const lr = g.input("lr", "float32", []);
  const step = g.input("step", "float32", []);
  const train = options.train ?? g.input("train", "bool", []);
  if (
    train.source.kind !== "input" ||
    train.source.name !== "train" ||
    train.dtype !== "bool" ||
    train.rank !== 0
  )
    throw new Error(
      `StepGraphOptions.train must be the graph's bool scalar input named 'train', got ${train}`,
    );
  const grads = grad(loss, params).map((gr, i) => {
    if (!gr) throw new Error(`the loss does not depend on trainable parameter '${names[i]}'`);
    return gr;
  });
  const update = (gs: Tensor[]) => {
    const norm = globalNorm(gs);
    const clipped = options.maxGradNorm ? clipByGlobalNorm(gs, norm, options.maxGradNorm) : gs;
    const next = params.map((p, i) =>
      adamwUpdate(p, clipped[i], m[i], v[i], lr, step, {
        ...options.optimizer,
        decay: !options.noDecay?.has(names[i]),
      }),
    );
    return { norm, p: next.map((n) => n.p), m: next.map((n) => n.m), v: next.map((n) => n.v) };
  };
  const zeroNorm = scalarLike(loss, 0);
  let branchOuts: Tensor[];
  if (!options.accumulate) {
    const u = update(grads);
    branchOuts = ifThenElse(train, [u.norm, ...u.p, ...u.m, ...u.v], [zeroNorm, ...params, ...m, ...v]);
  } else {
    const acc = params.map((p, i) => g.input(`acc.${names[i]}`, p.dtype, p.shape));
    const apply = g.input("apply", "bool", []);
    const weight = g.input("grad_weight", "float32", []);
    const scale = g.input("grad_scale", "float32", []);
    const total = grads.map((gr, i) => add(acc[i], mul(gr, weight)));
    const u = update(total.map((t) => mul(t, scale)));
    const zeros = total.map((t) => expandAs(scalarLike(t, 0), t));
    const inner = ifThenElse(
      apply,
      [u.norm, ...u.p, ...u.m, ...u.v, ...zeros],
      [zeroNorm, ...params, ...m, ...v, ...total],
    );
    branchOuts = ifThenElse(train, inner, [zeroNorm, ...params, ...m, ...v, ...acc]);
  }
  const k = params.length;
  const outputs: Record<string, Tensor> = { loss, grad_norm: branchOuts[0], ...options.extraOutputs };
  names.forEach((n, i) => {
    outputs[`new.${n}`] = branchOuts[1 + i];
    outputs[`new_m.${n}`] = branchOuts[1 + k + i];
    outputs[`new_v.${n}`] = branchOuts[1 + 2 * k + i];
    if (options.accumulate) outputs[`new_acc.${n}`] = branchOuts[1 + 3 * k + i];
  });
  return { graph: g, outputs, paramNames: names, accumulate: !!options.accumulate };
}
