/**
 * Generation on a `Backbone`: the KV-cache graph (prefill + decode, Hugging Face/optimum I/O names), logits
 * processing and sampling with Hugging Face semantics, stop strings, streaming with incremental detokenization.
 */
export {
  cachedSession,
  type DecodeStep,
  decodeStep,
  emptyCache,
  type KvCache,
  releaseCachedSession,
} from "./cached-decoder";
export { EmptyPromptError } from "./empty-prompt-error";
export {
  contextLengthOf,
  type FinishReason,
  type GenerationChunk,
  type GenerationResult,
  generate,
  startTokenOf,
  streamGeneration,
} from "./generate";
export {
  type GenerationOptions,
  GenerationOptionsSchema,
  type ResolvedGeneration,
  resolveGeneration,
} from "./generation-options";
export { IncrementalDecoder } from "./incremental-decoder";
export {
  applyRepetitionPenalty,
  applyTemperature,
  argmax,
  sampleToken,
  softmax,
  suppressTokens,
  topKFilter,
  topPFilter,
} from "./logits-processors";
export { PromptTooLongError } from "./prompt-too-long-error";
export { StopStringMatcher } from "./stop-strings";
