/**
 * `sdk/data`: datasets for fine-tuning — readers (CSV, JSON, JSONL, Parquet, DataFrame, records), column
 * mapping, sanity checks, splits, formatting and tokenization with label masking, packing and batching.
 * @packageDocumentation
 */
export { type Batch, buildBatch, IGNORE_INDEX } from "./batch";
export { type BatchOptions, type BatchOptionsInput, BatchOptionsSchema } from "./batch-options";
export {
  type ColumnMapping,
  type ColumnMappingInput,
  ColumnMappingSchema,
  parseColumnMapping,
} from "./column-mapping";
export { Dataset, type TokenizeOptions, type ValidationSource } from "./dataset";
export { DatasetError, type DatasetErrorContext } from "./dataset-error";
export { DatasetReadError } from "./dataset-read-error";
export { type DatasetWarning, type WarningHandler, warnOnStderr } from "./dataset-warning";
export type { ChatMessage, Example } from "./examples";
export { type FormatOptions, type FormatOptionsInput, FormatOptionsSchema } from "./format-options";
export { packExamples } from "./pack-examples";
export { iterateJsonl, type JsonlLine } from "./readers/read-jsonl";
export type { TextReadOptions } from "./readers/text-check";
export { mixSeeds, seededPermutation } from "./rng";
export type { DatasetSummary, PlotlyFigure, TokenStats } from "./summary";
export type { DataRecord } from "./table";
export { TableView } from "./table-view";
export { hasChatTemplate, type TemplateMessage, type TextTokenizer } from "./text-tokenizer";
export type { TokenizedExample } from "./tokenize-examples";
export { type EpochBatches, TokenizedDataset } from "./tokenized-dataset";
