export { Experiment, type FitOptions } from "./experiment";
export { ExperimentSetupError } from "./experiment-setup-error";
export { Run } from "./run";
export { backboneForTraining, columnMapping, datasetFromConfig, tokenizeOptions } from "./run-inputs";
