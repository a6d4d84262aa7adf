import { z } from "zod";
import { MetricInputError } from "../errors";
import { parseOptions, sameLength } from "../validate";
import { classIndices, labelArraySchema, uniqueSorted } from "./labels";

const logLossSchema = z.object({
  yTrue: labelArraySchema,
  yPred: z.union([z.array(z.number().finite()), z.array(z.array(z.number().finite()))]),
  labels: labelArraySchema.optional(),
  eps: z.number().positive().lt(0.5).default(Number.EPSILON),
});

/** Options of {@link logLoss} and {@link logLossPerRow}. */
export type LogLossOptions = z.input<typeof logLossSchema>;

/**
 * Per-row cross-entropy, as scikit-learn's `log_loss` computes it before averaging: probabilities clipped to
 * `[eps, 1 − eps]` (eps defaults to float64 machine epsilon, scikit-learn's `eps="auto"`), a 1-D `yPred` read as
 * the probability of the larger label, rows renormalised to sum to 1, then `−log p(true class)`.
 * Classes are the sorted distinct labels of `yTrue`, or `labels` when given (needed when `yTrue` lacks a class).
 * Difference from scikit-learn: a label outside `labels` is an error (scikit-learn silently scores it 0).
 * @param options - `yTrue` labels, `yPred` probabilities, optional `labels` and `eps`
 * @returns the loss of each row
 * @throws ConfigError when the options are malformed
 * @throws MetricInputError when fewer than two classes, lengths differ, or widths do not match the classes
 * @example
 * ```ts
 * logLossPerRow({ yTrue: ["spam", "ham"], yPred: [[0.1, 0.9], [0.9, 0.1]] }); // [0.105…, 0.105…]
 * ```
 */
export function logLossPerRow(options: LogLossOptions): number[] {
  const { yTrue, yPred, labels, eps } = parseOptions(logLossSchema, options, "logLoss");
  sameLength("logLoss", { yTrue, yPred });
  const classes = labels ?? uniqueSorted("logLoss", yTrue);
  if (classes.length < 2) {
    throw new MetricInputError({
      metric: "logLoss",
      expected: "at least two classes",
      found: `only ${JSON.stringify(classes)}`,
      fix: "Pass every class explicitly through `labels`.",
    });
  }
  const idx = classIndices("logLoss", yTrue, classes);
  const clip = (p: number) => Math.min(Math.max(p, eps), 1 - eps);
  const rows = (yPred as (number | number[])[]).map((r) => {
    if (typeof r === "number") {
      const p = clip(r);
      return [1 - p, p];
    }
    return r.map(clip);
  });
  return rows.map((row, i) => {
    if (row.length !== classes.length) {
      throw new MetricInputError({
        metric: "logLoss",
        expected: `${classes.length} probabilities per row (classes ${classes.join(", ")})`,
        found: `${row.length} in row ${i}`,
        fix: "Pass `labels` naming the classes in the column order of `yPred`.",
      });
    }
    const sum = row.reduce((a, b) => a + b, 0);
    return -Math.log(row[idx[i]] / sum);
  });
}

/**
 * Mean log-loss (cross-entropy) matching scikit-learn's `log_loss`; see {@link logLossPerRow} for the rules.
 * @param options - `yTrue` labels, `yPred` probabilities, optional `labels` and `eps`
 * @returns the mean loss over rows
 * @throws ConfigError when the options are malformed
 * @throws MetricInputError when fewer than two classes, lengths differ, or widths do not match the classes
 * @example
 * ```ts
 * logLoss({ yTrue: ["spam", "ham", "ham", "spam"], yPred: [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]] }); // 0.21616…
 * ```
 */
export function logLoss(options: LogLossOptions): number {
  const losses = logLossPerRow(options);
  return losses.reduce((a, b) => a + b, 0) / losses.length;
}
