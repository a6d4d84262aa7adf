/**
 * One validation pass: the loss over every labelled validation token (dropout off, parameters unchanged)
 * and the metrics computed from it. Perplexity is `exp` of the token-mean cross-entropy, the same quantity
 * as the training loss. Validation never packs (one sample per row, padded), also when training does: the token
 * mean is the same either way (packed samples cannot see each other), and unpacked batches keep a run's
 * validation loss the same quantity with or without `training.packing`.
 */
import type { TrainStep } from "../../engine";
import type { ProblemData } from "./problem-type";

/**
 * A validation metric as the trainer sees it (the `Metric` objects of `Metrics` in sdk/eval fit this shape).
 * `perplexity` is computed from the validation loss; other metrics score generated answers (see
 * {@link GeneratedEvaluation}).
 */
export interface RunMetric {
  readonly name: string;
  readonly direction: "max" | "min";
  /** Chart scale (`"log"` for perplexity); absent means linear. */
  readonly scale?: "linear" | "log";
  // biome-ignore lint/suspicious/noExplicitAny: each metric has its own input type; the trainer picks it by name
  compute(input: any): Promise<{ value: number; warnings?: string[] }>;
}

/**
 * Scores answers generated from the validation prompts with the values trained so far, for the metrics that
 * need generated text (BLEU, QA accuracy, LLM judge). The trainer calls it at every evaluation.
 * @param input - the optimizer step reached, the trained values (LoRA tensors or full weights) by name, and
 *   the metrics to compute
 * @returns the metric values by name and messages for the user
 */
export type GeneratedEvaluation = (input: {
  step: number;
  params: Record<string, Float32Array>;
  metrics: readonly RunMetric[];
}) => Promise<{ metrics: Record<string, number>; warnings: string[] }>;

/** Result of {@link validate}. */
export interface ValidationResult {
  /** Token-mean cross-entropy over the validation answers. */
  loss: number;
  /** Metric values by name (perplexity; the generated-text metrics are in `generated`). */
  metrics: Record<string, number>;
  /** Metrics that score generated answers, not computed here (see {@link GeneratedEvaluation}). */
  generated: RunMetric[];
  /** Messages for the user. */
  warnings: string[];
  /**
   * One row per validation example for `predictions/validation.csv` (written at each evaluation when the run has
   * a folder), for problems whose validation pass predicts (a classifier's probabilities).
   */
  rows?: Record<string, unknown>[];
}

/**
 * Runs the validation set through the step's evaluation mode and computes the metrics that come from the
 * loss; the metrics that need generated answers are returned in `generated` for the caller to compute.
 * @param o - the compiled step, the validation data, batch size and metrics
 * @returns the loss, metric values, the generated-text metrics left, and warnings
 * @example
 * ```ts
 * const { loss, metrics } = await validate({ step, data: validation, batchSize: 8, metrics: [Metrics.perplexity()] });
 * ```
 */
export async function validate(o: {
  step: TrainStep;
  data: ProblemData;
  batchSize: number;
  metrics: readonly RunMetric[];
}): Promise<ValidationResult> {
  const nll: number[] = [];
  const tokenCounts: number[] = [];
  const batchSize = Math.min(o.batchSize, o.data.length);
  for (const batch of o.data.batches({ batchSize, shuffle: false })) {
    if (batch.numTargetTokens === 0) continue;
    const r = await o.step.evaluate(await batch.feeds(-1));
    nll.push(r.loss * batch.numTargetTokens);
    tokenCounts.push(batch.numTargetTokens);
  }
  const total = tokenCounts.reduce((a, b) => a + b, 0);
  const loss = nll.reduce((a, b) => a + b, 0) / total;
  const metrics: Record<string, number> = {};
  const warnings: string[] = [];
  const generated: RunMetric[] = [];
  for (const m of o.metrics) {
    if (m.name === "perplexity") {
      const r = await m.compute({ nll, tokenCounts });
      metrics[m.name] = r.value;
      warnings.push(...(r.warnings ?? []));
    } else generated.push(m);
  }
  return { loss, metrics, generated, warnings };
}
