export { dataFingerprint } from "./data-fingerprint";
export { type Evaluation, type EvaluationRow, evaluateModel, predictionRecords } from "./evaluate-model";
export { Experiment, type FitOptions } from "./experiment";
export { ExperimentSetupError } from "./experiment-setup-error";
export { type PushExperimentOptions, pushExperiment } from "./push-experiment";
export {
  describeChanges,
  formatResumePlan,
  type PlanResumeOptions,
  planResume,
  type ResumeOptions,
  type ResumePlan,
  refuseDataChange,
} from "./resume-plan";
export {
  compareResumeSettings,
  RESUME_MAY_CHANGE,
  type RefusedChange,
  type SettingChange,
} from "./resume-settings";
export { ResumeSettingsError } from "./resume-settings-error";
export { Run } from "./run";
export {
  backboneForTraining,
  checkDataFiles,
  columnMapping,
  datasetFromConfig,
  prepareRunData,
  trainingTokenizer,
} from "./run-inputs";
export { evaluateScores, type ScorePredictions, scoreRows, scoreSettingsOf } from "./score-texts";
export {
  type CheckpointChoice,
  EXPORT_FORMATS,
  type ExportExperimentOptions,
  type ExportFormat,
  exportExperiment,
  loadModelOrExperiment,
  loadTrainedBackbone,
  loadTrainedModel,
  openExperiment,
  refuseScoresModel,
} from "./trained-model";
export { refuseUnsupported } from "./unsupported-settings";
export { configuredMetrics, generatedMetricsHook } from "./validation-metrics";
