/**
 * Exports: merged Hugging Face model directories (LoRA merged into float32 weights, tokenizer, chat template,
 * model card) and the errors they raise. Every export is written atomically (a temporary folder, renamed).
 * LoRA adapters in PEFT format are saved by `saveLoraAdapter` in `../lora`.
 * @packageDocumentation
 */
export { ExportError } from "./export-error";
export {
  COPIED_FILES,
  type ExportedModel,
  type ExportMergedModelOptions,
  ExportMergedModelOptionsSchema,
  exportMergedModel,
} from "./export-merged-model";
export {
  assertSafeTarget,
  EXPORT_MARKER,
  type ExportMarker,
  isExportFolder,
  type ProtectedFolder,
} from "./export-target";
export * from "./gguf";
export { addLoraDelta, type MergedTensor, type MergePlan, planMergedWeights } from "./merge-weights";
export {
  type ModelCardFacts,
  type ModelCardOptions,
  ModelCardOptionsSchema,
  renderModelCard,
} from "./model-card";
export { planShards, type Shard, ShardSizeSchema, shardIndex, shardSizeBytes } from "./shard-plan";
