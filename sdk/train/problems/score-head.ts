/**
 * The scores head shared by `causal_classification` and `causal_regression`: a linear layer `score.weight`
 * `[K, C]` (Hugging Face's `*ForSequenceClassification` name and layout, no bias) on the final hidden state of
 * each row's last non-padding token, and its loss: cross-entropy over K classes, binary cross-entropy with
 * logits (mean over rows and outputs), MSE or MAE (mean over rows and outputs), as PyTorch's `CrossEntropyLoss`,
 * `BCEWithLogitsLoss`, `MSELoss` and `L1Loss` compute them. The head is always trained, with the adapters (or
 * every weight), and saved in checkpoints beside them. Dimension letters: B batch, T time, C hidden, K outputs.
 */
import {
  add,
  compile,
  crossEntropy,
  exp,
  type Graph,
  linear,
  log,
  mul,
  reduceMean,
  reduceSum,
  relu,
  type Session,
  seededRandom,
  sub,
  type Tensor,
  unsqueeze,
} from "../../engine";
import type { Backbone, DecoderGraph } from "../../models";
import { compileBackboneStep, type ProblemStep, type ProblemStepOptions } from "../trainer";
import type { ScoreLoss, ScoreSettings } from "./score-settings";

/** The head's tensor name (Hugging Face's, in `*ForSequenceClassification` checkpoints). */
export const SCORE_WEIGHT = "score.weight";

/**
 * Fresh head values: normal with standard deviation 0.02 (transformers' `initializer_range` default), seeded.
 * @param outputs - K
 * @param hidden - C
 * @param seed - the run's seed
 * @returns `[K, C]` row-major
 */
export function initialHead(outputs: number, hidden: number, seed: number): Float32Array {
  const rand = seededRandom(seed ^ 0x5c0e);
  const out = new Float32Array(outputs * hidden);
  for (let i = 0; i < out.length; i++) {
    const u = Math.max(rand(), 1e-12);
    out[i] = 0.02 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  }
  return out;
}

/**
 * The head's logits `[B, K]` on a decoder graph: the hidden state at `last_token` (a `[B, T]` one-hot input),
 * times `score.weight`ᵀ.
 * @param built - the backbone's graph
 * @param head - the `score.weight` parameter `[K, C]`
 * @returns the logits
 */
export function scoreLogits(built: DecoderGraph, head: Tensor): Tensor {
  const g: Graph = built.graph;
  const last = g.input("last_token", "float32", ["B", "T"]);
  const pooled = reduceSum(mul(built.hidden, unsqueeze(last, [2])), [1]);
  return linear(pooled, head);
}

/** `|x|` as `2·relu(x) − x` (gradient ±1). */
const abs = (x: Tensor): Tensor => sub(mul(relu(x), 2), x);

/**
 * The mean loss of the logits against the batch's labels (inputs `class_labels` `[B]` or `targets` `[B, K]`).
 * @param logits - `[B, K]`
 * @param loss - which loss
 * @param outputs - K
 * @returns the scalar loss
 */
export function scoreLoss(logits: Tensor, loss: ScoreLoss, outputs: number): Tensor {
  const g = logits.graph;
  if (loss === "CrossEntropyLoss") return crossEntropy(logits, g.input("class_labels", "int64", ["B"]));
  const y = g.input("targets", "float32", ["B", outputs]);
  if (loss === "MSELoss") {
    const d = sub(logits, y);
    return reduceMean(mul(d, d), [0, 1]);
  }
  if (loss === "MAELoss") return reduceMean(abs(sub(logits, y)), [0, 1]);
  // Binary cross-entropy with logits, stable: max(x, 0) − x·y + log(1 + exp(−|x|)).
  const softplus = log(add(exp(sub(logits, mul(relu(logits), 2))), 1));
  return reduceMean(add(sub(relu(logits), mul(logits, y)), softplus), [0, 1]);
}

/**
 * Builds and compiles a scores problem's step: the backbone's training graph, the head (trainable, fresh values
 * from the run's seed) and its loss; the logits are an extra output (`scores`) read by validation.
 * @param o - the trainer's step options
 * @param s - the problem's settings
 * @returns the step; its trainable names end with `score.weight`
 * @example
 * ```ts
 * const { step } = await createScoreStep(options, classificationSettings(options.config));
 * ```
 */
export async function createScoreStep(o: ProblemStepOptions, s: ScoreSettings): Promise<ProblemStep> {
  const { backbone } = o;
  const built = backbone.buildGraph({
    training: true,
    trainBase: o.trainBase,
    neftuneAlpha: o.neftuneAlpha,
    gradientCheckpointing: o.gradientCheckpointing,
  });
  const C = backbone.config.hiddenSize;
  const seed = o.config.training.seed ?? Math.max(0, o.config.environment.seed);
  const head = built.graph.param(
    SCORE_WEIGHT,
    [s.outputs, C],
    { kind: "inline", data: initialHead(s.outputs, C, seed) },
    { trainable: true },
  );
  const logits = scoreLogits(built, head);
  const loss = scoreLoss(logits, s.loss, s.outputs);
  if (built.trainableParams.length === 0) {
    throw new Error("nothing to train: load the backbone with `lora` settings, or train the full model");
  }
  const params = [...built.trainableParams, head];
  return compileBackboneStep(backbone, { loss, params, extraOutputs: { scores: logits } }, o);
}

/**
 * An inference session computing a trained head's logits (`scores` `[B, K]`) from token inputs and
 * `last_token`, held as the backbone's inference session (`scores`), so the weights exist once.
 * @param backbone - the backbone, its trained values loaded
 * @param head - `score.weight` values `[K, C]`
 * @returns the session
 */
export function scoreSession(backbone: Backbone, head: Float32Array): Promise<Session> {
  return backbone.inferenceSession("scores", async () => {
    const built = backbone.buildGraph();
    const C = backbone.config.hiddenSize;
    const w = built.graph.param(SCORE_WEIGHT, [head.length / C, C], { kind: "inline", data: head });
    try {
      const modelPath = `${backbone.folder}/scores.onnx`;
      return await compile(
        built.graph,
        { scores: scoreLogits(built, w) },
        { modelPath, ...backbone.sessionOptions },
      );
    } finally {
      backbone.weights.close();
    }
  });
}

/**
 * Separates a scores head from the other trained values (the head is not a backbone weight).
 * @param params - trained values by name (a checkpoint's, or a run's)
 * @returns the backbone's values and the head's, when there is one
 * @example
 * ```ts
 * const { backbone: values, head } = splitScoreHead(result.params);
 * await backbone.updateParameters(new Map(Object.entries(values)));
 * ```
 */
export function splitScoreHead(params: Record<string, Float32Array>): {
  backbone: Record<string, Float32Array>;
  head?: Float32Array;
} {
  const { [SCORE_WEIGHT]: head, ...backbone } = params;
  return { backbone, head };
}
