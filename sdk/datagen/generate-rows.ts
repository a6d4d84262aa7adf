import pLimit from "p-limit";
import type { z } from "zod";
import {
  type DatagenProgress,
  describeFailure,
  type GenerateRowsOptions,
  type GenerationResult,
  isFatal,
} from "./datagen-result";
import { complete, type LlmEndpoint, type PromptMessage, parseReply } from "./llm-call";
import { generationMessages, schemaKeys } from "./prompts";
import { type RetryOutcome, type RetryPolicy, withRetry } from "./retry";

/** Canonical form of a row for deduplication: keys sorted, strings trimmed and lowercased. */
function canonicalKey(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === "string") return v.trim().toLowerCase().replace(/\s+/g, " ");
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
    return v;
  });
}

function progressOf(result: GenerationResult<unknown>, maxCalls: number): DatagenProgress {
  return {
    phase: "generate",
    completed: result.records.length + result.failures.length + result.duplicates,
    total: maxCalls,
    succeeded: result.records.length,
    failed: result.failures.length,
    duplicates: result.duplicates,
    retries: result.retries,
  };
}

/** One row: ask, parse, validate, retrying as the policy allows. */
function requestRow<S extends z.ZodTypeAny>(
  endpoint: LlmEndpoint,
  policy: RetryPolicy,
  messages: PromptMessage[],
  options: GenerateRowsOptions<S>,
  seed: number | undefined,
  onRetry: () => void,
): Promise<RetryOutcome<z.infer<S>>> {
  const ask = async () =>
    parseReply(
      await complete(endpoint, messages, { json: true, seed, signal: options.signal }),
      options.schema,
    );
  return withRetry(ask, policy, options.signal, onRetry);
}

/**
 * Generates `count` new rows from an instruction and examples (see {@link DataGenerator.generate}).
 * @param endpoint - where and how to call the model
 * @param policy - retry policy
 * @param concurrency - calls in flight at once
 * @param options - validated generation options
 * @param baseSeed - per-call seeds start here, when given
 * @returns rows, failures and counts
 * @example
 * ```ts
 * const r = await generateRows(endpoint, policy, 4, { instruction, schema, count: 10 }, undefined);
 * ```
 */
export async function generateRows<S extends z.ZodTypeAny>(
  endpoint: LlmEndpoint,
  policy: RetryPolicy,
  concurrency: number,
  options: GenerateRowsOptions<S>,
  baseSeed: number | undefined,
): Promise<GenerationResult<z.infer<S>>> {
  const examples = options.examples ?? [];
  const keyOf = options.dedupeKey ?? canonicalKey;
  const seen = new Set(examples.map((e) => keyOf(e as z.infer<S>)));
  const maxCalls = options.maxCalls ?? 3 * options.count;
  const result: GenerationResult<z.infer<S>> = {
    records: [],
    failures: [],
    duplicates: 0,
    calls: 0,
    retries: 0,
    aborted: false,
  };
  const keys = schemaKeys(options.schema);
  const limit = pLimit(concurrency);
  let stopped = false;
  const oneCall = async (call: number) => {
    if (options.signal?.aborted || stopped || result.records.length >= options.count) return;
    result.calls++;
    const messages = generationMessages({ instruction: options.instruction, examples, keys, call });
    const seed = baseSeed === undefined ? undefined : baseSeed + call;
    const outcome = await requestRow(endpoint, policy, messages, options, seed, () => result.retries++);
    if (options.signal?.aborted) return;
    if (!outcome.ok) {
      result.failures.push(describeFailure(call, outcome.attempts, outcome.error, outcome.lastOutput));
      stopped ||= isFatal(result.failures[result.failures.length - 1]);
    } else if (result.records.length < options.count) {
      const key = keyOf(outcome.value);
      if (seen.has(key)) result.duplicates++;
      else {
        seen.add(key);
        result.records.push(outcome.value);
      }
    }
    options.onProgress?.(progressOf(result, maxCalls));
  };
  await Promise.all(Array.from({ length: maxCalls }, (_, call) => limit(() => oneCall(call))));
  result.aborted = options.signal?.aborted === true;
  return result;
}
