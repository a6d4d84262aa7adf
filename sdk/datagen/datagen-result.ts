import OpenAI from "openai";
import type { z } from "zod";
import { DatagenOutputError } from "./datagen-output-error";

/** Progress of a run, reported after every finished call (never printed by the SDK). */
export interface DatagenProgress {
  phase: "generate" | "annotate";
  /** Calls finished (succeeded or failed). */
  completed: number;
  /** Calls planned: `maxCalls` for generation, the number of records for annotation. */
  total: number;
  /** Rows kept so far. */
  succeeded: number;
  /** Calls that failed after their retries. */
  failed: number;
  /** Generated rows dropped as duplicates. */
  duplicates: number;
  /** Retries made so far. */
  retries: number;
}

/** A call that failed after its retries. */
export interface CallFailure {
  /** The call number (generation) or the record's index (annotation). */
  index: number;
  /** Attempts made. */
  attempts: number;
  /** The last error's name, e.g. `RateLimitError`, `TunebookDatagenOutputError`. */
  errorName: string;
  /** The last error's message. */
  message: string;
  /** HTTP status when the endpoint answered with an error. */
  status?: number;
  /** The last unusable reply, when the failure was the model's output. */
  lastOutput?: string;
}

/** What {@link DataGenerator.generate} returns: the rows kept and everything that went wrong. */
export interface GenerationResult<T> {
  /** New, deduplicated, schema-valid rows (at most `count`). */
  records: T[];
  failures: CallFailure[];
  /** Rows dropped as duplicates (of each other or of the examples). */
  duplicates: number;
  /** Calls started. */
  calls: number;
  retries: number;
  /** True when the signal stopped the run early (`records` holds what was done). */
  aborted: boolean;
}

/** What {@link DataGenerator.annotate} returns. */
export interface AnnotationResult<R> {
  /** Annotated copies of the records that succeeded, in input order, with `index` of their source row. */
  records: (R & Record<string, unknown>)[];
  /** Source index of each annotated record (parallel to `records`). */
  indices: number[];
  failures: CallFailure[];
  /** Indices never attempted (the run was aborted). */
  pending: number[];
  retries: number;
  aborted: boolean;
}

/**
 * Describes a failed call for the result.
 * @param index - call number or record index
 * @param attempts - attempts made
 * @param error - the last error
 * @param lastOutput - the last unusable reply, if any
 * @returns the failure record
 * @example
 * ```ts
 * describeFailure(3, 5, new Error("boom"));
 * ```
 */
export function describeFailure(
  index: number,
  attempts: number,
  error: unknown,
  lastOutput?: string,
): CallFailure {
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    index,
    attempts,
    errorName: e instanceof DatagenOutputError ? e.name : e.constructor.name,
    message: e.message,
    ...(error instanceof OpenAI.APIError && error.status !== undefined ? { status: error.status } : {}),
    ...(lastOutput === undefined ? {} : { lastOutput }),
  };
}

/**
 * True when a failure means every other call will fail the same way (bad key, unknown model), so the run
 * should stop instead of spending calls.
 * @param failure - a failed call
 * @returns whether to stop scheduling
 * @example
 * ```ts
 * isFatal({ index: 0, attempts: 1, errorName: "AuthenticationError", message: "", status: 401 }); // true
 * ```
 */
export function isFatal(failure: CallFailure): boolean {
  return failure.status === 401 || failure.status === 403 || failure.status === 404;
}

/** Options of {@link DataGenerator.generate}. */
export interface GenerateRowsOptions<S extends z.ZodTypeAny> {
  /** What to generate, in plain words. */
  instruction: string;
  /** A few rows showing the shape and style wanted. */
  examples?: Record<string, unknown>[];
  /** What a valid row is; replies are parsed as JSON and validated against it. */
  schema: S;
  /** Rows wanted. */
  count: number;
  /** Most calls to make (duplicates and failures use calls up); default `3 × count`. */
  maxCalls?: number;
  /** Key used to detect duplicates; default: the row's JSON with keys sorted and strings trimmed/lowercased. */
  dedupeKey?: (row: z.infer<S>) => string;
  signal?: AbortSignal;
  onProgress?: (progress: DatagenProgress) => void;
}

/** Options of {@link DataGenerator.annotate}. */
export interface AnnotateOptions<R extends Record<string, unknown>> {
  /** The records to annotate. */
  records: R[];
  /** What to write, e.g. "Answer the question" or "Classify the sentiment". */
  instruction: string;
  /** The new column's name. */
  outputColumn: string;
  /** Columns shown to the model; default all. */
  inputColumns?: string[];
  /** Value schema for structured answers (asked as `{ [outputColumn]: value }` JSON); default free text. */
  schema?: z.ZodTypeAny;
  /** Allowed labels (classification); the reply must be one of them. */
  labels?: string[];
  signal?: AbortSignal;
  onProgress?: (progress: DatagenProgress) => void;
}
