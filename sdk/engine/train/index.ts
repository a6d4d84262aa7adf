export { type AdamWOptions, adamwUpdate, clipByGlobalNorm, globalNorm } from "./adamw";
export { buildStepGraph, type StepGraph, type StepGraphOptions } from "./step-graph";
export { type Feeds, type OptimizerState, type StepResult, TrainStep } from "./train-step";
