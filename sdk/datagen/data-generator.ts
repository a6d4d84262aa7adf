import OpenAI from "openai";
import type { z } from "zod";
import { parseOptions } from "../errors";
import { annotateRecords } from "./annotate-records";
import {
  annotateOptionsSchema,
  type DataGeneratorOptions,
  dataGeneratorOptionsSchema,
  generateRowsOptionsSchema,
} from "./datagen-options";
import type {
  AnnotateOptions,
  AnnotationResult,
  GenerateRowsOptions,
  GenerationResult,
} from "./datagen-result";
import { generateRows } from "./generate-rows";
import type { LlmEndpoint } from "./llm-call";
import type { RetryPolicy } from "./retry";

/**
 * Generates and annotates training data with an LLM behind any OpenAI-compatible endpoint (OpenAI, vLLM,
 * llama.cpp, or `tunebook serve`). Replies are parsed as JSON (JSON mode where the endpoint has it, robust
 * extraction from chatty or fenced text where not) and validated with zod; calls run concurrently, are
 * retried with backoff on 429/5xx/timeouts/unusable output, and a run keeps its partial results when
 * interrupted or when some calls fail.
 *
 * @example
 * ```ts
 * const gen = new DataGenerator({ baseURL: "http://127.0.0.1:8000/v1", model: "tiny-chat" });
 * const { records, failures } = await gen.generate({
 *   instruction: "Write a short trivia question and its answer.",
 *   examples: [{ question: "What is the capital of France?", answer: "Paris" }],
 *   schema: z.object({ question: z.string(), answer: z.string() }),
 *   count: 20,
 * });
 * ```
 */
export class DataGenerator {
  private readonly endpoint: LlmEndpoint;
  private readonly policy: RetryPolicy;
  private readonly concurrency: number;
  private readonly seed: number | undefined;

  /**
   * @param options - the endpoint (`baseURL`, `apiKey`, `model`) and call settings; see {@link DataGeneratorOptions}
   * @throws {ConfigError} for invalid options
   */
  constructor(options: DataGeneratorOptions) {
    const o = parseOptions(dataGeneratorOptionsSchema, options, "DataGenerator options");
    this.endpoint = {
      client: new OpenAI({
        baseURL: o.baseURL,
        apiKey: o.apiKey ?? process.env.OPENAI_API_KEY ?? "none",
        maxRetries: 0,
      }),
      model: o.model,
      temperature: o.temperature,
      maxTokens: o.maxTokens,
      timeoutMs: o.timeoutMs,
      jsonMode: { mode: o.jsonMode, refused: false },
    };
    this.policy = {
      maxRetries: o.maxRetries,
      baseDelayMs: o.retryBaseDelayMs,
      maxDelayMs: o.retryMaxDelayMs,
    };
    this.concurrency = o.concurrency;
    this.seed = o.seed;
  }

  /**
   * Generates `count` new rows like the examples, deduplicated and validated against `schema`.
   * @param options - instruction, examples, schema, count, and optional `maxCalls`, `dedupeKey`, `signal`, `onProgress`
   * @returns the rows (at most `count`), failures, duplicate and call counts, and whether it was aborted
   * @throws {ConfigError} for invalid options (call failures are returned, not thrown)
   * @example
   * ```ts
   * const r = await gen.generate({ instruction: "A haiku about rivers", schema: z.object({ haiku: z.string() }), count: 5 });
   * ```
   */
  generate<S extends z.ZodTypeAny>(options: GenerateRowsOptions<S>): Promise<GenerationResult<z.infer<S>>> {
    parseOptions(generateRowsOptionsSchema, options, "generate options");
    return generateRows(this.endpoint, this.policy, this.concurrency, options, this.seed);
  }

  /**
   * Adds a column to every record: a free-text answer, a value matching `schema`, or one of `labels`.
   * @param options - records, instruction, outputColumn, and optional inputColumns, schema or labels, signal, onProgress
   * @returns annotated records (input order), failures by record index, and indices never attempted
   * @throws {ConfigError} for invalid options (call failures are returned, not thrown)
   * @example
   * ```ts
   * const r = await gen.annotate({ records: [{ text: "I loved it" }], instruction: "Sentiment of the text",
   *   outputColumn: "label", labels: ["positive", "negative"] });
   * ```
   */
  annotate<R extends Record<string, unknown>>(options: AnnotateOptions<R>): Promise<AnnotationResult<R>> {
    parseOptions(annotateOptionsSchema, options, "annotate options");
    return annotateRecords(this.endpoint, this.policy, this.concurrency, options, this.seed);
  }

  /** Whether the endpoint refused JSON mode and replies are now parsed from plain text. */
  get jsonModeRefused(): boolean {
    return this.endpoint.jsonMode.refused;
  }
}
