/**
 * From a scores head's logits to what users read: probabilities (softmax for cross-entropy, sigmoid for binary
 * cross-entropy) or values (regression), the validation metrics (AUC, accuracy and log-loss of a classifier,
 * per label column averaged for multi-label; MSE and MAE over every target of a regression), and the rows of a
 * predictions table with one probability column per class or one predicted value per target.
 */
import type { RunMetric } from "../trainer";
import type { ScoreSettings } from "./score-settings";

/**
 * Probabilities (or values) from logits.
 * @param logits - `[N, K]` row-major
 * @param s - the problem's settings
 * @returns `[N, K]` probabilities (softmax or sigmoid), or the logits themselves for regression
 */
export function scoreOutputs(logits: Float32Array, s: ScoreSettings): Float32Array {
  const K = s.outputs;
  if (s.kind === "regression") return Float32Array.from(logits);
  const out = new Float32Array(logits.length);
  if (s.loss !== "CrossEntropyLoss") {
    for (let i = 0; i < logits.length; i++) out[i] = 1 / (1 + Math.exp(-logits[i]));
    return out;
  }
  for (let n = 0; n < logits.length / K; n++) {
    const row = logits.subarray(n * K, (n + 1) * K);
    const max = Math.max(...row);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += out[n * K + k] = Math.exp(row[k] - max);
    for (let k = 0; k < K; k++) out[n * K + k] /= sum;
  }
  return out;
}

/** The column names of a predictions table's outputs: `probability_<class>` or `predicted_<target>`. */
export function outputColumns(s: ScoreSettings): string[] {
  if (s.kind === "regression") return s.columns.map((c) => `predicted_${c}`);
  if (s.kind === "multilabel") return s.columns.map((c) => `probability_${c}`);
  if (s.kind === "binary") return ["probability_1"];
  return Array.from({ length: s.outputs }, (_, k) => `probability_${k}`);
}

/** Row n of a `[N, K]` array as numbers. */
const rowOf = (a: Float32Array, n: number, K: number) => Array.from(a.subarray(n * K, (n + 1) * K));

/** Predicted labels: argmax for multi-class, `p > 0.5` per output otherwise (H2O LLM Studio's rule). */
export function predictedLabels(outputs: Float32Array, s: ScoreSettings): number[][] {
  const K = s.outputs;
  const N = outputs.length / K;
  return Array.from({ length: N }, (_, n) => {
    const p = rowOf(outputs, n, K);
    if (s.kind === "regression") return p;
    if (s.kind === "multiclass") return [p.indexOf(Math.max(...p))];
    return p.map((v) => (v > 0.5 ? 1 : 0));
  });
}

/**
 * The metrics a scores problem computes, from its outputs and the labels.
 * @param o - outputs `[N, K]` (probabilities or values), labels (from `readLabels`), settings, the metrics asked
 * @returns values by name and warnings (a metric that cannot be computed, e.g. AUC with one class present)
 * @example
 * ```ts
 * const { metrics } = await scoreMetricValues({ outputs, labels, settings, metrics: [Metrics.auc()] });
 * ```
 */
export async function scoreMetricValues(o: {
  outputs: Float32Array;
  labels: Float32Array;
  settings: ScoreSettings;
  metrics: readonly RunMetric[];
}): Promise<{ metrics: Record<string, number>; warnings: string[] }> {
  const s = o.settings;
  const K = s.outputs;
  const N = o.outputs.length / K;
  const metrics: Record<string, number> = {};
  const warnings: string[] = [];
  const predicted = predictedLabels(o.outputs, s);
  // One binary (or regression) problem per output column; multi-class is one problem over K columns.
  const problems: { yTrue: number[]; yScore: number[] | number[][]; yPred: number[] }[] =
    s.kind === "multiclass"
      ? [
          {
            yTrue: Array.from(o.labels),
            yScore: Array.from({ length: N }, (_, n) => rowOf(o.outputs, n, K)),
            yPred: predicted.map((p) => p[0]),
          },
        ]
      : Array.from({ length: K }, (_, k) => ({
          yTrue: Array.from({ length: N }, (_, n) => o.labels[n * K + k]),
          yScore: Array.from({ length: N }, (_, n) => o.outputs[n * K + k]),
          yPred: predicted.map((p) => p[k]),
        }));
  for (const m of o.metrics) {
    try {
      if (s.kind === "regression" && (m.name === "mse" || m.name === "mae")) {
        const yTrue = problems.flatMap((p) => p.yTrue);
        const yPred = problems.flatMap((p) => p.yPred);
        metrics[m.name] = (await m.compute({ yTrue, yPred })).value;
      } else if (s.kind !== "regression" && ["auc", "log_loss", "accuracy"].includes(m.name)) {
        let total = 0;
        for (const p of problems) {
          const input = m.name === "accuracy" ? { yTrue: p.yTrue, yPred: p.yPred } : p;
          total += (await m.compute(input)).value;
        }
        metrics[m.name] = total / problems.length;
      } else warnings.push(`metric '${m.name}' does not apply to ${s.kind} scores; it is not computed`);
    } catch (error) {
      warnings.push(`metric '${m.name}' was not computed: ${(error as Error).message}`);
    }
  }
  return { metrics, warnings };
}

/**
 * The rows of a predictions table: the source columns, then one output column per class or target, and the
 * predicted label(s) of a classifier.
 * @param o - the source records (one per output row), outputs `[N, K]`, settings
 * @returns the rows
 */
export function scorePredictionRows(o: {
  records: readonly (Record<string, unknown> | undefined)[];
  outputs: Float32Array;
  settings: ScoreSettings;
}): Record<string, unknown>[] {
  const s = o.settings;
  const cols = outputColumns(s);
  const predicted = predictedLabels(o.outputs, s);
  return o.records.map((record, n) => {
    const row: Record<string, unknown> = { ...record };
    cols.forEach((c, k) => {
      row[c] = o.outputs[n * s.outputs + k];
    });
    if (s.kind !== "regression") row.predicted_label = predicted[n].join(",");
    return row;
  });
}
