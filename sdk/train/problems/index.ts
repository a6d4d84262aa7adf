/** Problem types: what a run learns (one file each plus one registry line). */
export { causalLm } from "./causal-lm";
export { dpo, preferenceSettings } from "./dpo";
export { grpo } from "./grpo";
export { type GrpoData, type GrpoSampling, grpoBatches, grpoFeeds, sampleGroups } from "./grpo-batches";
export { pairBatches } from "./pair-batches";
export { promptAndAnswer } from "./prompt-and-answer";
export { problemType } from "./registry";
export { RewardError } from "./reward-error";
export { rewardName, type ScoredCompletion, scoreCompletions } from "./score-completions";
export { type TokenBatchesOptions, tokenBatches } from "./token-batches";
export { tokenizeOptions } from "./tokenize-options";
