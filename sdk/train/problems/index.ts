/** Problem types: what a run learns (one file each plus one registry line). */
export { causalClassification } from "./causal-classification";
export { causalLm } from "./causal-lm";
export { causalRegression } from "./causal-regression";
export { problemType } from "./registry";
export { lastTokenMask, type ScoreData, scoreBatches, scoreInputFeeds } from "./score-batches";
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
