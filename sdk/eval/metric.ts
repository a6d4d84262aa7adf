/** Whether a larger (`"max"`) or a smaller (`"min"`) value of a metric is better. */
export type MetricDirection = "max" | "min";

/**
 * How a metric's values are best plotted: `"log"` for metrics that span orders of magnitude (perplexity falls
 * from thousands to single digits), `"linear"` otherwise (the default).
 */
export type MetricScale = "linear" | "log";

/** What a metric returns: the headline value, per-row scores where meaningful, and any warnings. */
export interface MetricResult {
  /** Metric name, e.g. `"bleu"`; the key the trainer logs it under. */
  name: string;
  /** The headline value (e.g. BLEU 0–100, accuracy 0–1). */
  value: number;
  /** Whether larger or smaller is better. */
  direction: MetricDirection;
  /** One score per input row where the metric has one (sentence BLEU, exact match, judge score…). */
  perRow?: number[];
  /** One explanation per row (the judge's answer), when the metric produces them. */
  explanations?: string[];
  /** Extra numbers (BLEU n-gram precisions, mAP@50…). */
  details?: Record<string, unknown>;
  /** Things the user should know (e.g. the judge fell back to BLEU). Never printed by the SDK. */
  warnings: string[];
}

/** Optional per-call settings every metric accepts. */
export interface ComputeOptions {
  /** Cancels long work (the LLM judge). */
  signal?: AbortSignal;
}

/**
 * A metric: a name, a direction, and an async `compute` over its input type.
 * @typeParam I - the input the metric scores (texts, labels and scores, log-probabilities, boxes…)
 */
export interface Metric<I = unknown> {
  /** Name used in logs and as the key of eval results. */
  readonly name: string;
  /** Whether larger or smaller is better; the trainer uses it to pick the best checkpoint. */
  readonly direction: MetricDirection;
  /** Axis scale for charts of this metric (training view); absent means linear. */
  readonly scale?: MetricScale;
  /** Scores `input`. */
  compute(input: I, options?: ComputeOptions): Promise<MetricResult>;
}

/** The input of text metrics (BLEU, QA accuracy, LLM judge). */
export interface TextMetricInput {
  /** Model outputs, one per row. */
  predictions: string[];
  /** Reference answers, one per row; a row may list several references. */
  references: (string | string[])[];
  /** The prompts, one per row (the judge needs them; others ignore them). */
  prompts?: string[];
}

/**
 * True when metric value `a` is strictly better than `b` for a metric of the given direction.
 * NaN is never better than anything, and any number is better than NaN.
 * @param metric - a metric, a result, or just its direction
 * @param a - candidate value
 * @param b - current best value
 * @returns whether `a` beats `b`
 * @example
 * ```ts
 * isBetter("min", 2.1, 3.4); // true: lower perplexity wins
 * isBetter(Metrics.bleu(), 20, 25); // false
 * ```
 */
export function isBetter(
  metric: MetricDirection | { direction: MetricDirection },
  a: number,
  b: number,
): boolean {
  const direction = typeof metric === "string" ? metric : metric.direction;
  if (Number.isNaN(a)) return false;
  if (Number.isNaN(b)) return true;
  return direction === "max" ? a > b : a < b;
}
