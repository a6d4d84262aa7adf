/**
 * `sdk/automl`: hyperparameter search over any experiment setting — search spaces, grid/random/TPE strategies,
 * median and ASHA pruning, budgets, and the executors that run each trial as an experiment: in this process, or
 * on `tunebook worker` processes through a BullMQ job queue on Redis.
 * @packageDocumentation
 */

export { type AskSearchOptions, askAboutSearch, searchContext } from "./ask-search";
export { type Leaderboard, type LeaderboardRow, searchLeaderboard } from "./leaderboard";
export { AshaPruner, type AshaPrunerOptions } from "./pruners/asha-pruner";
export { MedianPruner, type MedianPrunerOptions } from "./pruners/median-pruner";
export { noPruning, type PruneDecision, type Pruner } from "./pruners/pruner";
export { QueueExecutor, type QueueOptions, type TrialJudge } from "./queue/queue-executor";
export { QueueUnreachableError } from "./queue/queue-unreachable-error";
export { connectRedis } from "./queue/redis-connection";
export {
  type CodeVersion,
  codeVersion,
  type TrialJobData,
  type TrialJobResult,
  type TrialReport,
  type TrialVerdict,
  versionMismatch,
} from "./queue/trial-job";
export { runWorker, type WorkerOptions } from "./queue/trial-worker";
export { WorkerVersionError } from "./queue/worker-version-error";
export { runSearch, type SearchResult } from "./run-search";
export { type AdvisorOptions, AdvisorSampler, advisor } from "./samplers/advisor-sampler";
export { GridSampler } from "./samplers/grid-sampler";
export { RandomSampler } from "./samplers/random-sampler";
export type { BaseSetting, Sampler, SamplerContext } from "./samplers/sampler";
export { type TpeOptions, TpeSampler } from "./samplers/tpe-sampler";
export { loadSearchConfig, SearchBlockSchema, type SearchConfig } from "./search-config";
export { type Objective, objectiveOf, type SearchCallbacks, type SearchOptions } from "./search-options";
export { readSearchRecord, type SearchRecord } from "./search-record";
export { checkResume, type EarlierSearch } from "./search-resume";
export {
  type Condition,
  checkProposal,
  type Dimension,
  parseSearchSpace,
  type SearchSpace,
  type SearchSpaceInput,
  type SettingValue,
  Space,
  snakePath,
} from "./search-space";
export type { SearchTrial } from "./search-trial";
export type { TrialParams, TrialRecord, TrialState } from "./trial";
export {
  resumableTrialFolder,
  type TrialHooks,
  type TrialOutcome,
  type TrialProgress,
  type TrialStop,
  trainTrial,
  trialName,
} from "./trial-run";
