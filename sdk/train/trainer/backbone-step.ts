/**
 * Compiles a problem's loss on the backbone's graph into the fused AdamW step: the backbone's trainable tensors
 * (LoRA, or every weight for full fine-tuning) plus any head of the problem's own (a classifier's `score`),
 * norms and biases not decayed. Every problem type's step is compiled here.
 */
import path from "node:path";
import { type Tensor, TrainStep } from "../../engine";
import type { Backbone, DecoderGraph } from "../../models";
import type { CausalLmStep, CausalLmStepOptions } from "./causal-lm-step";

/** Norm weights and biases are not decayed (the usual AdamW practice). */
function isNoDecay(name: string): boolean {
  return name.endsWith(".bias") || /norm\.weight$/.test(name);
}

/**
 * Compiles the step of a loss built on a backbone's training graph.
 * @param o - the backbone, its built graph, the loss, the problem's own trainable tensors (`heads`), extra outputs
 *   (computed in training and evaluation), the `train` input when the loss reads it, and the step options
 * @returns the step (fresh AdamW moments), its trainable names and their shapes
 * @throws Error when there is nothing to train
 * @example
 * ```ts
 * const built = backbone.buildGraph({ training: true });
 * const { step } = await compileBackboneStep({ backbone, built, loss, options: {} });
 * ```
 */
export async function compileBackboneStep(o: {
  backbone: Backbone;
  built: DecoderGraph;
  loss: Tensor;
  heads?: readonly Tensor[];
  extraOutputs?: Record<string, Tensor>;
  train?: Tensor;
  options: Omit<CausalLmStepOptions, "backbone" | "lossChunkSize">;
}): Promise<CausalLmStep> {
  const params = [...o.built.trainableParams, ...(o.heads ?? [])];
  if (o.built.trainableParams.length === 0) {
    throw new Error("nothing to train: load the backbone with `lora` settings, or train the full model");
  }
  const paramNames = params.map((p) => (p.source.kind === "param" ? p.source.name : ""));
  const step = await TrainStep.create({
    loss: o.loss,
    params,
    optimizer: o.options.optimizer,
    noDecay: new Set(paramNames.filter(isNoDecay)),
    maxGradNorm: o.options.maxGradNorm || undefined,
    accumulate: o.options.accumulate,
    train: o.train,
    extraOutputs: o.extraOutputs,
    compile: {
      modelPath: path.join(o.backbone.folder, o.options.fileName ?? "train-step.onnx"),
      ...o.backbone.sessionOptions,
    },
  });
  const shapes = Object.fromEntries(params.map((p, i) => [paramNames[i], [...p.shape] as number[]]));
  return { step, paramNames, shapes };
}
