import OpenAI from "openai";
import pLimit from "p-limit";
import { z } from "zod";
import type { Metric, MetricResult, TextMetricInput } from "../metric";
import { sentenceBleuScores } from "../text/bleu";
import { parseOptions, sameLength } from "../validate";
import { fillTemplate, JUDGE_TEMPLATES, type JudgeTemplate } from "./judge-templates";
import { parseJudgeScore } from "./parse-score";

const judgeSchema = z.object({
  baseURL: z.string().url().optional(),
  apiKey: z.string().optional(),
  model: z.string().min(1).default("gpt-4o-mini"),
  template: z
    .union([
      z.enum(["general", "rag", "mt-bench", "mt-bench-reference"]),
      z.object({
        name: z.string().default("custom"),
        template: z.string().min(1),
        scale: z.tuple([z.number(), z.number()]),
        system: z.string().default(JUDGE_TEMPLATES.general.system),
      }),
    ])
    .default("general"),
  concurrency: z.number().int().positive().default(4),
  maxRetries: z.number().int().nonnegative().default(3),
  timeoutMs: z.number().int().positive().default(60_000),
  parseRetries: z.number().int().nonnegative().default(1),
  temperature: z.number().min(0).default(0),
  maxTokens: z.number().int().positive().default(1024),
  onWarning: z
    .custom<(warning: string) => void>((v) => typeof v === "function", "expected a function")
    .optional(),
  env: z.boolean().default(true),
});

/**
 * Options of `Metrics.judge`. The endpoint is any OpenAI-compatible server (`baseURL`, `apiKey`, `model`); with
 * `env` (default true) `OPENAI_BASE_URL` and `OPENAI_API_KEY` fill in what is missing. With neither a base URL
 * nor a key the judge falls back to sentence-mean BLEU and says so in `warnings` and through `onWarning`.
 * Retries on 408/409/429/5xx, connection errors and timeouts use the openai client's exponential backoff
 * (honouring `retry-after`/`retry-after-ms`); an answer with no readable score is asked again `parseRetries` times.
 */
export type JudgeOptions = z.input<typeof judgeSchema>;

/** Input of the judge: texts plus optional per-row RAG contexts. */
export interface JudgeInput extends TextMetricInput {
  /** Retrieved context per row (the `rag` template shows it). */
  contexts?: string[];
}

type Parsed = z.output<typeof judgeSchema>;

function resolveTemplate(t: Parsed["template"]): JudgeTemplate {
  return typeof t === "string" ? JUDGE_TEMPLATES[t] : t;
}

async function judgeRow(
  client: OpenAI,
  o: Parsed,
  tpl: JudgeTemplate,
  content: string,
  signal?: AbortSignal,
): Promise<{ score: number; explanation: string }> {
  let explanation = "";
  for (let attempt = 0; attempt <= o.parseRetries; attempt++) {
    const res = await client.chat.completions.create(
      {
        model: o.model,
        messages: [
          { role: "system", content: tpl.system },
          { role: "user", content },
        ],
        temperature: o.temperature,
        max_tokens: o.maxTokens,
      },
      { signal },
    );
    explanation = res.choices?.[0]?.message?.content ?? "";
    const score = parseJudgeScore(explanation, tpl.scale);
    if (score !== null) return { score, explanation };
  }
  return { score: Number.NaN, explanation: `unparseable judge answer: ${explanation}` };
}

async function fallbackToBleu(input: JudgeInput, o: Parsed): Promise<MetricResult> {
  const warning =
    "LLM judge: no endpoint configured (baseURL/apiKey or OPENAI_BASE_URL/OPENAI_API_KEY); falling back to sentence-mean BLEU.";
  o.onWarning?.(warning);
  const perRow = sentenceBleuScores({ predictions: input.predictions, references: input.references });
  const value = perRow.reduce((a, b) => a + b, 0) / perRow.length;
  return {
    name: "judge",
    direction: "max",
    value,
    perRow,
    details: { fallback: "bleu" },
    warnings: [warning],
  };
}

function firstRef(r: string | string[]): string {
  return typeof r === "string" ? r : (r[0] ?? "");
}

/**
 * LLM-as-a-judge metric (max): each row's prompt, answer and reference are put in a judge template and sent to
 * an OpenAI-compatible chat endpoint; the score is parsed from the reply. The value is the mean over rows that
 * got a score; rows without one are NaN in `perRow`, their reason is in `explanations`, and a warning counts them.
 * @param options - endpoint, model, template, concurrency, retries, `onWarning`
 * @returns the metric
 * @throws ConfigError when the options are malformed
 * @example
 * ```ts
 * const judge = Metrics.judge({ baseURL: "http://localhost:8000/v1", model: "qwen3", template: "mt-bench" });
 * const r = await judge.compute({ prompts: ["2+2?"], predictions: ["4"], references: ["4"] });
 * ```
 */
export function llmJudge(options: JudgeOptions = {}): Metric<JudgeInput> {
  const o = parseOptions(judgeSchema, options, "Metrics.judge");
  const baseURL = o.baseURL ?? (o.env ? process.env.OPENAI_BASE_URL : undefined);
  const apiKey = o.apiKey ?? (o.env ? process.env.OPENAI_API_KEY : undefined);
  const tpl = resolveTemplate(o.template);
  return {
    name: "judge",
    direction: "max",
    async compute(input, { signal } = {}) {
      sameLength("judge", { predictions: input.predictions, references: input.references });
      if (!baseURL && !apiKey) return fallbackToBleu(input, o);
      const client = new OpenAI({
        baseURL,
        apiKey: apiKey ?? "none",
        maxRetries: o.maxRetries,
        timeout: o.timeoutMs,
      });
      const limit = pLimit(o.concurrency);
      const rows = await Promise.all(
        input.predictions.map((prediction, i) =>
          limit(async () => {
            const content = fillTemplate(tpl.template, {
              prompt: input.prompts?.[i] ?? "",
              prediction,
              reference: firstRef(input.references[i]),
              context: input.contexts?.[i] ?? "",
            });
            try {
              return await judgeRow(client, o, tpl, content, signal);
            } catch (e) {
              if (signal?.aborted) throw e;
              return { score: Number.NaN, explanation: `judge request failed: ${(e as Error).message}` };
            }
          }),
        ),
      );
      return summarize(rows, tpl, o);
    },
  };
}

function summarize(
  rows: { score: number; explanation: string }[],
  tpl: JudgeTemplate,
  o: Parsed,
): MetricResult {
  const perRow = rows.map((r) => r.score);
  const scored = perRow.filter((s) => !Number.isNaN(s));
  const warnings: string[] = [];
  if (scored.length < rows.length) {
    const w = `LLM judge: ${rows.length - scored.length} of ${rows.length} rows got no score (see explanations); they are left out of the mean.`;
    warnings.push(w);
    o.onWarning?.(w);
  }
  const value = scored.length ? scored.reduce((a, b) => a + b, 0) / scored.length : Number.NaN;
  return {
    name: "judge",
    direction: "max",
    value,
    perRow,
    explanations: rows.map((r) => r.explanation),
    details: { template: tpl.name, scale: tpl.scale, model: o.model, scoredRows: scored.length },
    warnings,
  };
}
