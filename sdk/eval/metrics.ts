import { z } from "zod";
import { accuracyScore } from "./classification/accuracy";
import type { Label } from "./classification/labels";
import { logLossPerRow } from "./classification/log-loss";
import { rocAuc } from "./classification/roc-auc";
import { type CocoEvalOptions, cocoEvaluate } from "./detection/coco-eval";
import { llmJudge } from "./judge/llm-judge";
import type { Metric, MetricDirection, MetricResult, MetricScale, TextMetricInput } from "./metric";
import { type PerplexityOptions, perplexity } from "./perplexity";
import { meanAbsoluteError, meanSquaredError } from "./regression";
import { corpusBleu, sentenceBleuScores } from "./text/bleu";
import { qaMatches } from "./text/qa-accuracy";
import { parseOptions } from "./validate";

/** Input of label metrics: true and predicted labels. */
export interface LabelInput {
  yTrue: Label[];
  yPred: Label[];
}
/** Input of score metrics: true labels and scores/probabilities (1-D binary, or one column per class). */
export interface ScoreInput {
  yTrue: Label[];
  yScore: number[] | number[][];
}
/** Input of regression metrics. */
export interface RegressionInput {
  yTrue: number[];
  yPred: number[];
}
/** Input of the detection metric: ground truths and scored detections (boxes in the metric's `format`). */
export type DetectionInput = Pick<CocoEvalOptions, "groundTruths" | "detections">;
/** Input of the perplexity metric: log-probabilities per row, or summed NLL and token counts per row. */
export type PerplexityInput = { logProbs: number[][] } | { nll: number[]; tokenCounts: number[] };

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Builds a metric object from a name, a direction and a compute function.
 * @param name - metric name
 * @param direction - `"max"` or `"min"`
 * @param run - computes the value (and optionally per-row scores) from the input
 * @param display - `scale`: how charts plot the metric (`"log"` for values spanning orders of magnitude)
 * @returns the metric
 * @example
 * ```ts
 * const m = defineMetric<number[]>("sum", "max", async (xs) => ({ value: xs.reduce((a, b) => a + b, 0) }));
 * ```
 */
export function defineMetric<I>(
  name: string,
  direction: MetricDirection,
  run: (
    input: I,
    signal?: AbortSignal,
  ) => Promise<Omit<MetricResult, "name" | "direction" | "warnings"> & { warnings?: string[] }>,
  display: { scale?: MetricScale } = {},
): Metric<I> {
  return {
    name,
    direction,
    ...(display.scale ? { scale: display.scale } : {}),
    async compute(input, options = {}) {
      const r = await run(input, options.signal);
      return { name, direction, ...r, warnings: r.warnings ?? [] };
    },
  };
}

const bleuSchema = z.object({
  mode: z.enum(["corpus", "sentence-mean"]).default("corpus"),
  smoothing: z.enum(["none", "floor", "add-k", "exp"]).default("exp"),
  smoothValue: z.number().nonnegative().optional(),
  tokenize: z.enum(["13a", "none"]).default("13a"),
  lowercase: z.boolean().default(false),
  name: z.string().default("bleu"),
});
/** Options of `Metrics.bleu`. */
export type BleuMetricOptions = z.input<typeof bleuSchema>;

/**
 * BLEU metric (0–100, max). `mode: "corpus"` (default) is sacreBLEU's corpus BLEU; `"sentence-mean"` is the mean
 * of sentence BLEU over rows (effective order), which is what H2O LLM Studio reports. Per-row sentence BLEU is
 * returned in both modes.
 * @param options - mode and sacreBLEU settings
 * @returns the metric
 * @throws ConfigError when the options are malformed
 * @example
 * ```ts
 * const r = await Metrics.bleu().compute({ predictions: ["a cat sat"], references: ["a cat sat"] });
 * ```
 */
function bleu(options: BleuMetricOptions = {}): Metric<TextMetricInput> {
  const o = parseOptions(bleuSchema, options, "Metrics.bleu");
  const settings = {
    smoothing: o.smoothing,
    smoothValue: o.smoothValue,
    tokenize: o.tokenize,
    lowercase: o.lowercase,
  };
  return defineMetric(o.name, "max", async ({ predictions, references }) => {
    const perRow = sentenceBleuScores({ predictions, references, ...settings });
    if (o.mode === "sentence-mean") return { value: mean(perRow), perRow, details: { mode: o.mode } };
    const c = corpusBleu({ predictions, references, ...settings });
    return { value: c.score, perRow, details: { mode: o.mode, precisions: c.precisions, bp: c.bp } };
  });
}

const reduceSchema = z.object({ reduce: z.enum(["token", "row-mean"]).default("token") });
const qaSchema = z.object({ mode: z.enum(["exact", "contains"]).default("exact") });
const aucSchema = z.object({
  average: z.enum(["macro", "weighted"]).default("macro"),
  labels: z.array(z.union([z.number(), z.string()])).optional(),
});
const detectionSchema = z.object({
  format: z.enum(["xywh", "xyxy"]).default("xywh"),
  maxDets: z.array(z.number().int().positive()).min(1).default([1, 10, 100]),
});
const logLossSchema = z.object({
  eps: z.number().positive().optional(),
  labels: z.array(z.union([z.number(), z.string()])).optional(),
});

/**
 * Factories of every tunebook metric. Each returns a {@link Metric} with a `name`, a `direction` and `compute`.
 *
 * @example
 * ```ts
 * import { Metrics } from "tunebook";
 * const m = Metrics.accuracy();
 * const r = await m.compute({ yTrue: [0, 1, 1], yPred: [0, 1, 0] }); // r.value ≈ 0.667
 * ```
 */
export const Metrics = {
  bleu,
  /**
   * LLM-as-a-judge (max) against any OpenAI-compatible endpoint; falls back to sentence-mean BLEU, with a
   * warning, when no endpoint is configured. See {@link llmJudge}.
   * @param options - endpoint, model, template (`general`, `rag`, `mt-bench`, `mt-bench-reference` or custom)…
   * @returns the metric
   * @throws ConfigError when the options are malformed
   * @example
   * ```ts
   * const judge = Metrics.judge({ baseURL: "http://localhost:8000/v1", model: "qwen3" });
   * ```
   */
  judge: llmJudge,
  /**
   * Perplexity (min): `exp(token-mean cross-entropy)` over answer tokens; `reduce: "row-mean"` gives H2O LLM
   * Studio's mean of per-row perplexities.
   * @param options - `reduce`
   * @returns the metric
   * @throws ConfigError when the options are malformed
   * @example
   * ```ts
   * await Metrics.perplexity().compute({ logProbs: [[-0.1, -2.3]] });
   * ```
   */
  perplexity(options: { reduce?: "token" | "row-mean" } = {}): Metric<PerplexityInput> {
    const { reduce } = parseOptions(reduceSchema, options, "Metrics.perplexity");
    return defineMetric(
      "perplexity",
      "min",
      async (input: PerplexityInput) => {
        const r = perplexity({ ...input, reduce } as PerplexityOptions);
        return {
          value: r.value,
          perRow: r.perRow,
          details: { crossEntropy: r.crossEntropy, tokens: r.tokens },
        };
      },
      { scale: "log" },
    );
  },
  /**
   * QA accuracy (max): share of rows whose answer matches a reference after SQuAD normalisation.
   * @param options - `mode`: `"exact"` (default) or `"contains"`
   * @returns the metric
   * @throws ConfigError when the options are malformed
   * @example
   * ```ts
   * await Metrics.qaAccuracy().compute({ predictions: ["Paris."], references: ["paris"] }); // value 1
   * ```
   */
  qaAccuracy(options: { mode?: "exact" | "contains" } = {}): Metric<TextMetricInput> {
    const { mode } = parseOptions(qaSchema, options, "Metrics.qaAccuracy");
    return defineMetric(
      mode === "exact" ? "qa_exact_match" : "qa_contains",
      "max",
      async (i: TextMetricInput) => {
        const perRow = qaMatches({ predictions: i.predictions, references: i.references, mode });
        return { value: mean(perRow), perRow };
      },
    );
  },
  /**
   * Accuracy (max), as scikit-learn's `accuracy_score`.
   * @returns the metric
   * @example
   * ```ts
   * await Metrics.accuracy().compute({ yTrue: ["a", "b"], yPred: ["a", "a"] }); // value 0.5
   * ```
   */
  accuracy(): Metric<LabelInput> {
    return defineMetric("accuracy", "max", async (i: LabelInput) => ({
      value: accuracyScore(i),
      perRow: i.yTrue.map((y, k) => (y === i.yPred[k] ? 1 : 0)),
    }));
  },
  /**
   * ROC AUC (max), as scikit-learn's `roc_auc_score` (binary, or multiclass one-vs-rest).
   * @param options - `average` (`"macro"` default, or `"weighted"`) and `labels` (column order of `yScore`)
   * @returns the metric
   * @throws ConfigError when the options are malformed
   * @example
   * ```ts
   * await Metrics.auc().compute({ yTrue: [0, 0, 1, 1], yScore: [0.1, 0.4, 0.35, 0.8] }); // value 0.75
   * ```
   */
  auc(options: { average?: "macro" | "weighted"; labels?: Label[] } = {}): Metric<ScoreInput> {
    const o = parseOptions(aucSchema, options, "Metrics.auc");
    return defineMetric("auc", "max", async (i: ScoreInput) => ({ value: rocAuc({ ...i, ...o }) }));
  },
  /**
   * Log-loss (min), as scikit-learn's `log_loss` (clipping to machine epsilon, renormalised rows).
   * @param options - `eps` and `labels` (column order of the probabilities)
   * @returns the metric
   * @throws ConfigError when the options are malformed
   * @example
   * ```ts
   * await Metrics.logLoss().compute({ yTrue: [0, 1], yScore: [0.2, 0.7] });
   * ```
   */
  logLoss(options: { eps?: number; labels?: Label[] } = {}): Metric<ScoreInput> {
    const o = parseOptions(logLossSchema, options, "Metrics.logLoss");
    return defineMetric("log_loss", "min", async (i: ScoreInput) => {
      const perRow = logLossPerRow({ yTrue: i.yTrue, yPred: i.yScore, ...o });
      return { value: mean(perRow), perRow };
    });
  },
  /**
   * Mean squared error (min).
   * @returns the metric
   * @example
   * ```ts
   * await Metrics.mse().compute({ yTrue: [1, 2], yPred: [1, 4] }); // value 2
   * ```
   */
  mse(): Metric<RegressionInput> {
    return defineMetric("mse", "min", async (i: RegressionInput) => ({
      value: meanSquaredError(i),
      perRow: i.yTrue.map((y, k) => (y - i.yPred[k]) ** 2),
    }));
  },
  /**
   * Mean absolute error (min).
   * @returns the metric
   * @example
   * ```ts
   * await Metrics.mae().compute({ yTrue: [1, 2], yPred: [1, 4] }); // value 1
   * ```
   */
  mae(): Metric<RegressionInput> {
    return defineMetric("mae", "min", async (i: RegressionInput) => ({
      value: meanAbsoluteError(i),
      perRow: i.yTrue.map((y, k) => Math.abs(y - i.yPred[k])),
    }));
  },
  /**
   * COCO mAP over IoU .50:.05:.95 (max), following pycocotools; mAP@50, mAP@75, mAR and per-category AP are in
   * `details`.
   * @param options - box `format` (`"xywh"`, COCO's, by default; or `"xyxy"`) and `maxDets`
   * @returns the metric
   * @throws ConfigError when the options are malformed
   * @example
   * ```ts
   * await Metrics.detection({ format: "xyxy" }).compute({ groundTruths: [], detections: [] });
   * ```
   */
  detection(options: { format?: "xywh" | "xyxy"; maxDets?: number[] } = {}): Metric<DetectionInput> {
    const o = parseOptions(detectionSchema, options, "Metrics.detection");
    return defineMetric("map", "max", async (i: DetectionInput) => {
      const r = cocoEvaluate({ ...i, ...o });
      return {
        value: r.map,
        details: { map50: r.map50, map75: r.map75, mar: r.mar, perCategory: r.perCategory },
      };
    });
  },
};
