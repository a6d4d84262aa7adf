/**
 * Evaluation of a model on tokenized examples: each example's last answer is the reference and the tokens
 * before it the prompt, exactly as in training. Perplexity comes from the answer tokens' log-probabilities
 * (teacher forcing); text metrics (BLEU, QA accuracy, LLM judge) score answers generated from the prompts
 * with the prediction settings. Every row keeps its prompt, reference, prediction and per-row scores.
 */
import type { TokenizedDataset } from "../../data";
import type { Backbone } from "../../models";
import type { ExperimentConfig } from "../config";
import { promptAndAnswer } from "../problems";
import type { RunMetric } from "../trainer";

/**
 * One evaluated example; the shape of a `PredictionRow` of sdk/eval (so `pickSamples` and the notebook
 * tables take it) plus the source row and the reference's log-likelihood.
 */
export interface EvaluationRow {
  /** Position in the evaluated data (0-based). */
  index: number;
  /** 1-based source row. */
  row: number;
  /** The source record's original columns (the user's question column, ids, …); `{}` when unknown. */
  data: Record<string, unknown>;
  /** The prompt as the model saw it (chat template or text markers applied). */
  prompt: string;
  reference: string;
  prediction: string;
  /** Summed negative log-likelihood of the reference tokens, and their count. */
  nll: number;
  tokens: number;
  /** Per-row metric scores by metric name. */
  scores: Record<string, number>;
  /** Per-row explanations (the judge's answers) by metric name. */
  explanations: Record<string, string>;
}

/** The result of {@link evaluateModel}. */
export interface Evaluation {
  /** Headline value of each metric. */
  metrics: Record<string, number>;
  /** Whether larger (`max`) or smaller (`min`) is better, by metric. */
  directions: Record<string, "max" | "min">;
  rows: EvaluationRow[];
  warnings: string[];
}

/** Sum of −log p(answer token) under the model, one forward pass per batch of rows. */
async function answerNll(backbone: Backbone, parts: { prompt: number[]; answer: number[] }[]) {
  const V = backbone.config.vocabSize;
  const T = Math.max(...parts.map((p) => p.prompt.length + p.answer.length));
  const pad = (xs: number[]) => [...xs, ...new Array(T - xs.length).fill(0)];
  const ids = parts.map((p) => pad([...p.prompt, ...p.answer]));
  const mask = parts.map((p) => pad(new Array(p.prompt.length + p.answer.length).fill(1)));
  const { data } = await backbone.logits(ids, mask);
  return parts.map((p, b) => {
    let nll = 0;
    p.answer.forEach((token, k) => {
      const t = p.prompt.length + k - 1; // the position that predicts this token
      const row = data.subarray((b * T + t) * V, (b * T + t + 1) * V);
      let max = -Infinity;
      for (const v of row) max = Math.max(max, v);
      let sum = 0;
      for (const v of row) sum += Math.exp(v - max);
      nll += max + Math.log(sum) - row[token];
    });
    return nll;
  });
}

/**
 * Evaluates a model: perplexity over the reference answers and text metrics over generated answers.
 * @param o - backbone, tokenized examples, metrics, prediction settings, batch size, signal
 * @returns metric values, per-row results and warnings
 * @example
 * ```ts
 * const ev = await evaluateModel({ backbone, data: validation, metrics: [Metrics.perplexity()], prediction: config.prediction });
 * ```
 */
export async function evaluateModel(o: {
  backbone: Backbone;
  data: TokenizedDataset;
  metrics: readonly RunMetric[];
  prediction: ExperimentConfig["prediction"];
  batchSize?: number;
  signal?: AbortSignal;
}): Promise<Evaluation> {
  const tokenizer = o.backbone.modelDir.tokenizer;
  const decode = (ids: number[]) => tokenizer?.decode(ids, { skipSpecialTokens: true }).trim() ?? "";
  const batchSize = o.prediction.batchSize || o.batchSize || 8;
  const parts = o.data.examples
    .map((ex) => ({ row: ex.row, ...promptAndAnswer(ex) }))
    .filter((p) => p.prompt.length > 0 && p.answer.length > 0);
  const needsText = o.metrics.some((m) => m.name !== "perplexity");
  const rows: EvaluationRow[] = [];
  // All forward passes first, then all generation: the backbone holds one inference session at a time, so
  // alternating per chunk would compile the forward and the KV-cache graphs again for every chunk.
  const nlls: number[][] = [];
  for (let i = 0; i < parts.length; i += batchSize) {
    o.signal?.throwIfAborted();
    nlls.push(await answerNll(o.backbone, parts.slice(i, i + batchSize)));
  }
  for (let i = 0; i < parts.length; i += batchSize) {
    o.signal?.throwIfAborted();
    const chunk = parts.slice(i, i + batchSize);
    const nll = nlls[i / batchSize];
    const generated = needsText ? await generateAnswers(o.backbone, chunk, o.prediction, o.signal) : [];
    rows.push(
      ...chunk.map((p, k) => ({
        index: i + k,
        row: p.row,
        data: { ...(o.data.recordAt(p.row) ?? {}) },
        prompt: decode(p.prompt),
        reference: decode(p.answer),
        prediction: generated[k] ?? "",
        nll: nll[k],
        tokens: p.answer.length,
        scores: { perplexity: Math.exp(nll[k] / p.answer.length) },
        explanations: {},
      })),
    );
  }
  const metrics: Record<string, number> = {};
  const directions: Record<string, "max" | "min"> = {};
  const warnings: string[] = [];
  for (const m of o.metrics) {
    const input =
      m.name === "perplexity"
        ? { nll: rows.map((r) => r.nll), tokenCounts: rows.map((r) => r.tokens) }
        : {
            predictions: rows.map((r) => r.prediction),
            references: rows.map((r) => r.reference),
            prompts: rows.map((r) => r.prompt),
          };
    const r = (await m.compute(input)) as {
      value: number;
      perRow?: number[];
      explanations?: string[];
      warnings?: string[];
    };
    metrics[m.name] = r.value;
    directions[m.name] = m.direction;
    r.perRow?.forEach((score, k) => {
      rows[k].scores[m.name] = score;
    });
    r.explanations?.forEach((text, k) => {
      rows[k].explanations[m.name] = text;
    });
    warnings.push(...(r.warnings ?? []));
  }
  return { metrics, directions, rows, warnings };
}

async function generateAnswers(
  backbone: Backbone,
  parts: { prompt: number[] }[],
  p: ExperimentConfig["prediction"],
  signal?: AbortSignal,
): Promise<string[]> {
  const results = await backbone.generate({
    inputIds: parts.map((x) => x.prompt),
    maxNewTokens: p.maxNewTokens,
    minNewTokens: p.minNewTokens,
    doSample: p.temperature > 0,
    temperature: p.temperature > 0 ? p.temperature : undefined,
    topK: p.topK > 0 ? p.topK : undefined,
    topP: p.topP,
    repetitionPenalty: p.repetitionPenalty,
    stopStrings: p.stopTokens,
    seed: 0,
    signal,
  });
  return results.map((r) => r.text.trim());
}

/**
 * The rows of an evaluation as flat records for a CSV predictions table: `index`, `row`, the source record's
 * original columns under their own names (a column whose name one of the following takes is written as
 * `data.<name>`), then `rendered_prompt` (the prompt as the model saw it), `reference`, `prediction`, `nll`,
 * `tokens` and one column per metric's per-row score.
 * @param evaluation - the result of {@link evaluateModel}
 * @returns one record per row
 * @example
 * ```ts
 * await store.writePredictions("validation", predictionRecords(ev), "csv");
 * ```
 */
export function predictionRecords(evaluation: Evaluation): Record<string, unknown>[] {
  return evaluation.rows.map(({ index, row, data, prompt, scores, explanations: _e, ...rest }) => {
    const computed: Record<string, unknown> = { rendered_prompt: prompt, ...rest, ...scores };
    const taken = new Set(["index", "row", ...Object.keys(computed)]);
    const original = Object.entries(data).map(([k, v]) => [taken.has(k) ? `data.${k}` : k, v] as const);
    return { index, row, ...Object.fromEntries(original), ...computed };
  });
}
