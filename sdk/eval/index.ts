/**
 * Metrics: perplexity, BLEU, LLM judge, QA accuracy, accuracy/AUC/log-loss, MSE/MAE, detection mAP.
 * @packageDocumentation
 */
export * from "./classification";
export * from "./detection";
export { MetricInputError } from "./errors";
export * from "./judge";
export {
  type ComputeOptions,
  isBetter,
  type Metric,
  type MetricDirection,
  type MetricResult,
  type MetricScale,
  type TextMetricInput,
} from "./metric";
export {
  type BleuMetricOptions,
  type DetectionInput,
  defineMetric,
  type LabelInput,
  Metrics,
  type PerplexityInput,
  type RegressionInput,
  type ScoreInput,
} from "./metrics";
export { type PerplexityOptions, type PerplexityResult, perplexity } from "./perplexity";
export {
  buildPredictionsTable,
  type PickSamplesOptions,
  type PredictionRow,
  type PredictionsTableOptions,
  pickSamples,
} from "./predictions-table";
export { meanAbsoluteError, meanSquaredError, type RegressionOptions } from "./regression";
export * from "./text";
