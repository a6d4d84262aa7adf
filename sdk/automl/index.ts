/**
 * `sdk/automl`: hyperparameter search over any experiment setting — search spaces, grid/random/TPE strategies,
 * median and ASHA pruning, budgets, and the in-process executor that runs each trial as an experiment.
 * @packageDocumentation
 */

export { type AskSearchOptions, askAboutSearch, searchContext } from "./ask-search";
export { type Leaderboard, type LeaderboardRow, searchLeaderboard } from "./leaderboard";
export { AshaPruner, type AshaPrunerOptions } from "./pruners/asha-pruner";
export { MedianPruner, type MedianPrunerOptions } from "./pruners/median-pruner";
export { noPruning, type PruneDecision, type Pruner } from "./pruners/pruner";
export { runSearch, type SearchResult } from "./run-search";
export { type AdvisorOptions, AdvisorSampler, advisor } from "./samplers/advisor-sampler";
export { GridSampler } from "./samplers/grid-sampler";
export { RandomSampler } from "./samplers/random-sampler";
export type { BaseSetting, Sampler, SamplerContext } from "./samplers/sampler";
export { type TpeOptions, TpeSampler } from "./samplers/tpe-sampler";
export { loadSearchConfig, SearchBlockSchema, type SearchConfig } from "./search-config";
export { type Objective, objectiveOf, type SearchCallbacks, type SearchOptions } from "./search-options";
export { readSearchRecord, type SearchRecord } from "./search-record";
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
