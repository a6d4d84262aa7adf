/**
 * Compiles a training step for a loss built on a backbone's graph: the trainable tensors it names, no weight
 * decay on norms and biases, the AdamW settings, clipping and accumulation, the model file inside the
 * backbone's folder. Every problem type's step (causal LM, preference pairs) is compiled here.
 */
import path from "node:path";
import { type Tensor, TrainStep } from "../../engine";
import type { Backbone } from "../../models";

/** The step settings every problem type shares. */
export interface BackboneStepSettings {
  /** AdamW settings. */
  optimizer?: { beta1?: number; beta2?: number; eps?: number; weightDecay?: number };
  /** Clip the global gradient norm to this (0 or absent: no clipping). */
  maxGradNorm?: number;
  /** Build the gradient-accumulation variant. */
  accumulate?: boolean;
  /** File name of the step model inside the backbone's folder (default `train-step.onnx`). */
  fileName?: string;
}

/** A compiled step and the names of what it trains. */
export interface BackboneStep {
  step: TrainStep;
  /** Trainable tensor names (PEFT names for LoRA, Hugging Face names for full fine-tuning). */
  paramNames: string[];
  /** Their shapes, by name. */
  shapes: Record<string, number[]>;
}

/** Norm weights and biases are not decayed (the usual AdamW practice). */
function isNoDecay(name: string): boolean {
  return name.endsWith(".bias") || /norm\.weight$/.test(name);
}

/**
 * Compiles the fused step of `loss` over `params`.
 * @param backbone - the model whose folder holds the step file
 * @param graph - the loss, the trainable parameters, the `train` input the loss reads (if any), extra outputs
 * @param settings - optimizer, clipping, accumulation, file name
 * @returns the step (fresh AdamW moments), its trainable names and shapes
 * @throws Error when there is nothing to train
 * @example
 * ```ts
 * const { step } = await compileBackboneStep(backbone, { loss, params: built.trainableParams }, { maxGradNorm: 1 });
 * ```
 */
export async function compileBackboneStep(
  backbone: Backbone,
  graph: { loss: Tensor; params: readonly Tensor[]; train?: Tensor; extraOutputs?: Record<string, Tensor> },
  settings: BackboneStepSettings,
): Promise<BackboneStep> {
  const { params } = graph;
  if (params.length === 0) {
    throw new Error("nothing to train: load the backbone with `lora` settings, or train the full model");
  }
  const paramNames = params.map((p) => (p.source.kind === "param" ? p.source.name : ""));
  const step = await TrainStep.create({
    loss: graph.loss,
    params,
    optimizer: settings.optimizer,
    noDecay: new Set(paramNames.filter(isNoDecay)),
    maxGradNorm: settings.maxGradNorm || undefined,
    accumulate: settings.accumulate,
    train: graph.train,
    extraOutputs: graph.extraOutputs,
    compile: {
      modelPath: path.join(backbone.folder, settings.fileName ?? "train-step.onnx"),
      ...backbone.sessionOptions,
    },
  });
  const shapes = Object.fromEntries(params.map((p, i) => [paramNames[i], [...p.shape] as number[]]));
  return { step, paramNames, shapes };
}
