export {
  batchFeeds,
  type CausalLmStep,
  type CausalLmStepOptions,
  createCausalLmStep,
} from "./causal-lm-step";
export { CheckpointError } from "./checkpoint-error";
export { learningRateAt, type ScheduleOptions } from "./schedule";
export {
  checkpointFiles,
  readCheckpoint,
  readCheckpointParams,
  readTrainerState,
  type TrainCheckpoint,
  type TrainerState,
  TrainerStateSchema,
} from "./train-checkpoint";
export { stepsPerEpoch, type TrainLoopOptions, type TrainLoopResult, trainLoop } from "./train-loop";
export { type GeneratedEvaluation, type RunMetric, type ValidationResult, validate } from "./validate";
