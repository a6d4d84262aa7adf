import { Dataset } from "../data";
import type { AnnotationResult, GenerationResult } from "./datagen-result";

/**
 * Turns a generation or annotation result into a {@link Dataset} (its `records`; failures are left out).
 * @param result - what `DataGenerator.generate` or `annotate` returned
 * @returns a dataset with one row per record
 * @example
 * ```ts
 * const data = toDataset(await gen.generate({ instruction, schema, count: 100 }));
 * ```
 */
export function toDataset(
  result: GenerationResult<Record<string, unknown>> | AnnotationResult<Record<string, unknown>>,
): Dataset {
  return Dataset.fromRecords(result.records);
}
