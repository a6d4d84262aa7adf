/**
 * LLM data generation: new rows from an instruction and examples, or annotations of existing records,
 * through any OpenAI-compatible endpoint.
 * @packageDocumentation
 */
export { DataGenerator } from "./data-generator";
export { type DataGeneratorOptions, dataGeneratorOptionsSchema } from "./datagen-options";
export { DatagenOutputError } from "./datagen-output-error";
export type {
  AnnotateOptions,
  AnnotationResult,
  CallFailure,
  DatagenProgress,
  GenerateRowsOptions,
  GenerationResult,
} from "./datagen-result";
export { extractJson } from "./extract-json";
export { toDataset } from "./to-dataset";
