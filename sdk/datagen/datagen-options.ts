import { z } from "zod";

const isFunction = (v: unknown) => typeof v === "function";
const zodSchema = z.custom<z.ZodTypeAny>((v) => v instanceof z.ZodType, { message: "expected a zod schema" });
const signal = z.custom<AbortSignal>((v) => v instanceof AbortSignal, { message: "expected an AbortSignal" });

/** Options of the {@link DataGenerator} constructor: the endpoint and how to call it. */
export const dataGeneratorOptionsSchema = z
  .object({
    /** Base URL of any OpenAI-compatible API, e.g. `http://127.0.0.1:8000/v1`. */
    baseURL: z.string().url(),
    /** API key; `OPENAI_API_KEY` when absent, else a placeholder for keyless local servers. */
    apiKey: z.string().optional(),
    /** Model name passed to the endpoint. */
    model: z.string().min(1),
    /** Calls in flight at once. */
    concurrency: z.number().int().min(1).max(256).default(4),
    /** Retries per call after the first attempt (429, 5xx, timeouts, unusable output). */
    maxRetries: z.number().int().min(0).default(4),
    /** First retry delay in ms (doubles each retry, full jitter). */
    retryBaseDelayMs: z.number().min(0).default(500),
    /** Largest retry delay in ms. */
    retryMaxDelayMs: z.number().min(0).default(10_000),
    /** Per-call timeout in ms. */
    timeoutMs: z.number().int().positive().default(60_000),
    temperature: z.number().min(0).max(2).default(1),
    /** Most tokens per reply; default: not sent (the endpoint's default, e.g. the rest of the context). */
    maxTokens: z.number().int().positive().optional(),
    /** JSON mode: `auto` asks for it and stops asking if the endpoint refuses it. */
    jsonMode: z.enum(["auto", "on", "off"]).default("auto"),
    /** Base seed; call `i` uses `seed + i` (reproducible on endpoints that honour seeds). */
    seed: z.number().int().optional(),
  })
  .strict();

/** Constructor options of {@link DataGenerator} as written by the caller. */
export type DataGeneratorOptions = z.input<typeof dataGeneratorOptionsSchema>;

/** Fields shared by `generate` and `annotate`. */
const runFields = {
  instruction: z.string().min(1),
  signal: signal.optional(),
  onProgress: z.custom<(p: unknown) => void>(isFunction, { message: "expected a function" }).optional(),
};

/** Options of {@link DataGenerator.generate} (validation; the typed interface is {@link GenerateRowsOptions}). */
export const generateRowsOptionsSchema = z
  .object({
    ...runFields,
    examples: z.array(z.record(z.unknown())).default([]),
    schema: zodSchema,
    count: z.number().int().min(1),
    maxCalls: z.number().int().min(1).optional(),
    dedupeKey: z.custom<(row: unknown) => string>(isFunction, { message: "expected a function" }).optional(),
  })
  .strict();

/** Options of {@link DataGenerator.annotate} (validation; the typed interface is {@link AnnotateOptions}). */
export const annotateOptionsSchema = z
  .object({
    ...runFields,
    records: z.array(z.record(z.unknown())),
    outputColumn: z.string().min(1),
    inputColumns: z.array(z.string()).min(1).optional(),
    schema: zodSchema.optional(),
    labels: z.array(z.string()).min(2).optional(),
  })
  .strict()
  .refine((o) => !(o.schema && o.labels), {
    message: "give either schema or labels, not both",
    path: ["labels"],
  });
