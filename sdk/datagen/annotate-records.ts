import pLimit from "p-limit";
import { z } from "zod";
import { DatagenOutputError } from "./datagen-output-error";
import {
  type AnnotateOptions,
  type AnnotationResult,
  type CallFailure,
  describeFailure,
  isFatal,
} from "./datagen-result";
import { complete, type LlmEndpoint, parseReply } from "./llm-call";
import { annotationMessages } from "./prompts";
import { type RetryOutcome, type RetryPolicy, withRetry } from "./retry";

/** Reads one annotation value out of a reply. */
function readValue(text: string, column: string, valueSchema: z.ZodTypeAny | undefined): unknown {
  if (!valueSchema) {
    const value = text.trim();
    if (!value) throw new DatagenOutputError({ output: text, problem: "empty reply" });
    return value;
  }
  if (valueSchema instanceof z.ZodEnum) {
    // A bare label is accepted as well as {"column": "label"}.
    const bare = text.trim().replace(/^["'`]+|["'`.]+$/g, "");
    const match = (valueSchema.options as string[]).find((l) => l.toLowerCase() === bare.toLowerCase());
    if (match !== undefined) return match;
  }
  return parseReply(text, z.object({ [column]: valueSchema }))[column];
}

function pick(
  record: Record<string, unknown>,
  columns: readonly string[] | undefined,
): Record<string, unknown> {
  return columns ? Object.fromEntries(columns.map((c) => [c, record[c]])) : record;
}

/** One record's annotation: ask, read the value, retrying as the policy allows. */
function requestAnnotation<R extends Record<string, unknown>>(
  endpoint: LlmEndpoint,
  policy: RetryPolicy,
  options: AnnotateOptions<R>,
  index: number,
  valueSchema: z.ZodTypeAny | undefined,
  seed: number | undefined,
  onRetry: () => void,
): Promise<RetryOutcome<unknown>> {
  const messages = annotationMessages({
    instruction: options.instruction,
    input: pick(options.records[index], options.inputColumns),
    column: options.outputColumn,
    structured: valueSchema !== undefined,
    labels: options.labels,
  });
  const call = { json: valueSchema !== undefined, seed, signal: options.signal };
  const ask = async () =>
    readValue(await complete(endpoint, messages, call), options.outputColumn, valueSchema);
  return withRetry(ask, policy, options.signal, onRetry);
}

/**
 * Annotates every record with a new column (see {@link DataGenerator.annotate}).
 * @param endpoint - where and how to call the model
 * @param policy - retry policy
 * @param concurrency - calls in flight at once
 * @param options - validated annotation options
 * @param baseSeed - record `i` uses `baseSeed + i`, when given
 * @returns annotated records, failures and what was left undone
 * @example
 * ```ts
 * const r = await annotateRecords(endpoint, policy, 4, { records, instruction: "Answer", outputColumn: "answer" }, 0);
 * ```
 */
export async function annotateRecords<R extends Record<string, unknown>>(
  endpoint: LlmEndpoint,
  policy: RetryPolicy,
  concurrency: number,
  options: AnnotateOptions<R>,
  baseSeed: number | undefined,
): Promise<AnnotationResult<R>> {
  const valueSchema = options.labels ? z.enum(options.labels as [string, ...string[]]) : options.schema;
  const done = new Map<number, R & Record<string, unknown>>();
  const failures: CallFailure[] = [];
  const attempted = new Set<number>();
  let retries = 0;
  let stopped = false;
  const oneRecord = async (index: number) => {
    if (options.signal?.aborted || stopped) return;
    attempted.add(index);
    const seed = baseSeed === undefined ? undefined : baseSeed + index;
    const outcome = await requestAnnotation(
      endpoint,
      policy,
      options,
      index,
      valueSchema,
      seed,
      () => retries++,
    );
    if (outcome.ok) done.set(index, { ...options.records[index], [options.outputColumn]: outcome.value });
    else if (options.signal?.aborted) attempted.delete(index);
    else {
      failures.push(describeFailure(index, outcome.attempts, outcome.error, outcome.lastOutput));
      stopped ||= isFatal(failures[failures.length - 1]);
    }
    options.onProgress?.({
      phase: "annotate",
      completed: done.size + failures.length,
      total: options.records.length,
      succeeded: done.size,
      failed: failures.length,
      duplicates: 0,
      retries,
    });
  };
  const limit = pLimit(concurrency);
  await Promise.all(options.records.map((_, i) => limit(() => oneRecord(i))));
  const indices = [...done.keys()].sort((a, b) => a - b);
  return {
    records: indices.map((i) => done.get(i)!),
    indices,
    failures: failures.sort((a, b) => a.index - b.index),
    pending: options.records.map((_, i) => i).filter((i) => !attempted.has(i)),
    retries,
    aborted: options.signal?.aborted === true,
  };
}
