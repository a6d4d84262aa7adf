/** Experiment folders: config, metrics, logs, status, predictions and crash-safe checkpoints. */
export { type CheckpointFiles, recoverCheckpoint, writeCheckpointAtomically } from "./checkpoint-write";
export {
  type ComparisonRow,
  type ComparisonTable,
  compareExperiments,
  type ExperimentComparison,
  formatComparisonValue,
  INCIDENTAL_SETTINGS,
} from "./compare-experiments";
export { ExperimentLockedError } from "./experiment-locked-error";
export { ExperimentNotFoundError } from "./experiment-not-found-error";
export {
  type ExperimentState,
  type ExperimentStatus,
  experimentStatusSchema,
  readStatusFile,
} from "./experiment-status";
export { type CreateStoreOptions, ExperimentStore, type MetricRecord } from "./experiment-store";
export {
  type ExperimentSummary,
  listExperiments,
  type ObservedState,
  observedState,
  summarizeExperiment,
} from "./list-experiments";
export { toCsv } from "./predictions-csv";
export { currentProcess, type ProcessRef, processAlive } from "./process-liveness";
export { acquireRunLock, RUN_LOCK_FILE, type RunLock } from "./run-lock";
export { type StoreCallbacksOptions, storeCallbacks } from "./store-callbacks";
