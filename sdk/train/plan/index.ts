/**
 * The memory and time plan of a training run (see run-plan.ts and plan-coefficients.ts).
 */
export { type AvailableMemory, availableMemory } from "./available-memory";
export {
  type ExperimentPlan,
  type PlanExperimentOptions,
  type PlanFix,
  planExperiment,
  planInputs,
} from "./experiment-plan";
export { matmulThroughput } from "./matmul-throughput";
export { countParameters, loraParameterCount, type ParameterCounts } from "./parameter-counts";
export { PLAN_COEFFICIENTS, type PlanCoefficients, type PlanDtype } from "./plan-coefficients";
export { fixesText, formatBytes, formatPlan, planLine } from "./plan-format";
export { type MemoryPlan, type PlanComponent, type PlanInputs, planMemory, stepSeconds } from "./run-plan";
