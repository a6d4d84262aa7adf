export { compileBackboneStep } from "./backbone-step";
export {
  batchFeeds,
  type CausalLmStep,
  type CausalLmStepOptions,
  createCausalLmStep,
} from "./causal-lm-step";
export { CheckpointError } from "./checkpoint-error";
export { groupAdvantages, type RewardScaling } from "./group-advantages";
export { createGrpoStep, type GrpoStepOptions } from "./grpo-step";
export {
  clippedPolicyLoss,
  type PolicyLossOptions,
  type PolicyLossType,
  policyLossWeights,
} from "./policy-loss";
export type {
  BatchIteration,
  Policy,
  ProblemData,
  ProblemFunctions,
  ProblemStep,
  ProblemStepOptions,
  ProblemType,
  RewardFunction,
  StepBatch,
  StepBatches,
} from "./problem-type";
export { learningRateAt, type ScheduleOptions } from "./schedule";
export { maskedForStep, maskInputTokens, type TokenMaskOptions } from "./token-mask";
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
