/** Problem types: what a run learns (one file each plus one registry line). */
export { causalClassification } from "./causal-classification";
export { causalLm } from "./causal-lm";
export { causalRegression } from "./causal-regression";
export { dpo, preferenceSettings } from "./dpo";
export { grpo } from "./grpo";
export { type GrpoData, type GrpoSampling, grpoBatches, grpoFeeds, sampleGroups } from "./grpo-batches";
export { pairBatches } from "./pair-batches";
export { promptAndAnswer } from "./prompt-and-answer";
export { problemType } from "./registry";
export { RewardError } from "./reward-error";
export { lastTokenMask, type ScoreData, scoreBatches, scoreInputFeeds } from "./score-batches";
export { rewardName, type ScoredCompletion, scoreCompletions } from "./score-completions";
export {
  createScoreStep,
  initialHead,
  SCORE_WEIGHT,
  scoreLogits,
  scoreLoss,
  scoreSession,
  splitScoreHead,
} from "./score-head";
export { readLabels } from "./score-labels";
export { outputColumns, scoreMetricValues, scoreOutputs, scorePredictionRows } from "./score-metrics";
export { prepareScoreData, tokenizeScorePrompts } from "./score-problem";
export {
  classificationSettings,
  labelColumns,
  regressionSettings,
  type ScoreKind,
  type ScoreLoss,
  type ScoreSettings,
} from "./score-settings";
export { type TokenBatchesOptions, tokenBatches } from "./token-batches";
export { tokenizeOptions } from "./tokenize-options";
