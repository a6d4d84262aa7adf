/**
 * Exports: merged Hugging Face model directories (LoRA merged, in the source checkpoint's dtype, tokenizer, chat
 * template, model card), ONNX for transformers.js, GGUF for llama.cpp, and the errors they raise. Every export
 * is written atomically (a temporary folder, renamed).
 * LoRA adapters in PEFT format are saved by `saveLoraAdapter` in `../lora`.
 * @packageDocumentation
 */

export { decoderConfigJson } from "./decoder-config-json";
export { ExportError } from "./export-error";
export {
  COPIED_FILES,
  type ExportedModel,
  type ExportMergedModelOptions,
  ExportMergedModelOptionsSchema,
  exportMergedModel,
  MERGED_DTYPES,
} from "./export-merged-model";
export {
  type ExportedOnnxModel,
  type ExportOnnxOptions,
  ExportOnnxOptionsSchema,
  exportOnnx,
  ONNX_MODEL_TYPES,
} from "./export-onnx";
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
export { modelCardFacts } from "./model-card-facts";
export { initializerBytes, readExternalBytes, saveWithExternalData } from "./onnx-external-data";
export {
  ONNX_QUANTIZATIONS,
  type OnnxQuantization,
  Q4_BLOCK,
  quantizeBlocksQ4,
  quantizeOnnxModel,
  quantizeRowsInt8,
} from "./quantize-onnx";
export { planShards, type Shard, ShardSizeSchema, shardIndex, shardSizeBytes } from "./shard-plan";
export {
  ONNX_DTYPES,
  ONNX_FILES,
  type OnnxDtype,
  type TransformersJsFolderOptions,
  writeTransformersJsFiles,
  writeTransformersJsFolder,
} from "./transformers-js-folder";
