/** Problem types: what a run learns (one file each plus one registry line). */
export { causalLm } from "./causal-lm";
export { dpo, preferenceSettings } from "./dpo";
export { pairBatches } from "./pair-batches";
export { problemType } from "./registry";
export { type TokenBatchesOptions, tokenBatches } from "./token-batches";
export { tokenizeOptions } from "./tokenize-options";
