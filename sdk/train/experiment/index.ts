export { type Evaluation, type EvaluationRow, evaluateModel, predictionRecords } from "./evaluate-model";
export { Experiment, type FitOptions } from "./experiment";
export { ExperimentSetupError } from "./experiment-setup-error";
export { Run } from "./run";
export { backboneForTraining, columnMapping, datasetFromConfig, tokenizeOptions } from "./run-inputs";
export {
  type CheckpointChoice,
  type ExportExperimentOptions,
  exportExperiment,
  loadModelOrExperiment,
  loadTrainedBackbone,
  openExperiment,
} from "./trained-model";
export { configuredMetrics, generatedMetricsHook } from "./validation-metrics";
