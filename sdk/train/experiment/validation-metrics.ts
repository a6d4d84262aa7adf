/**
 * The validation metrics of a run: those passed to `.metrics()`, or the configuration's `prediction.metric`
 * (with perplexity) when none were; and, at each evaluation during training, the metrics that score generated
 * answers — computed on the validation set with the values trained so far, as H2O LLM Studio does.
 */
import type { TokenizedDataset } from "../../data";
import type { Backbone } from "../../models";
import type { ExperimentConfig } from "../config";
import { problemType } from "../problems";
import type { ExperimentStore } from "../store";
import type { GeneratedEvaluation, RunMetric } from "../trainer";
import { evaluateModel, predictionRecords } from "./evaluate-model";

/**
 * The metrics a configuration asks for, from its problem type (causal LM: `prediction.metric` first, it picks
 * the best checkpoint, then perplexity when that is another metric).
 * @param config - the experiment configuration
 * @returns e.g. `[qaAccuracy, perplexity]` for `prediction.metric: qa_accuracy`
 * @example
 * ```ts
 * configuredMetrics(config).map((m) => m.name); // ["bleu", "perplexity"]
 * ```
 */
export function configuredMetrics(config: ExperimentConfig): RunMetric[] {
  return problemType(config.problemType).metrics(config);
}

/**
 * The trainer's hook for generated-text metrics: at each evaluation it loads the values trained so far into
 * the backbone, generates an answer for every validation row (or the fixed `prediction.metric_sample` share of
 * them) with the `prediction` settings (greedy unless `temperature` > 0, at most `max_new_tokens` tokens,
 * `stop_tokens`), scores the metrics, and writes the rows
 * (original columns, rendered prompt, reference, prediction, per-row scores) to `predictions/validation.csv`,
 * replaced at each evaluation. The backbone's inference session is released afterwards, so the training steps
 * between evaluations hold the frozen weights once.
 * @param o - the backbone, the validation data, the configuration and the experiment folder
 * @returns the hook to pass to the trainer
 * @example
 * ```ts
 * const evaluateGenerated = generatedMetricsHook({ backbone, validation, config, store });
 * ```
 */
export function generatedMetricsHook(o: {
  backbone: Backbone;
  validation: TokenizedDataset;
  config: ExperimentConfig;
  store: ExperimentStore;
}): GeneratedEvaluation {
  const p = o.config.prediction;
  // The rows scored are fixed for the run, so the metric compares across evaluations.
  const scored = o.validation.sample(p.metricSample, Math.max(0, o.config.environment.seed));
  return async ({ params, metrics }) => {
    await o.backbone.updateParameters(new Map(Object.entries(params)));
    const evaluation = await evaluateModel({
      backbone: o.backbone,
      data: scored,
      metrics,
      prediction: o.config.prediction,
      batchSize: o.config.training.batchSize,
    });
    await o.store.writePredictions("validation", predictionRecords(evaluation), "csv");
    // Training continues in the step session: the inference session's copy of the weights is not needed.
    await o.backbone.releaseSessions();
    return { metrics: evaluation.metrics, warnings: evaluation.warnings };
  };
}
