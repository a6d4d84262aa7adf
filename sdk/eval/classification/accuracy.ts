import { z } from "zod";
import { parseOptions, sameLength } from "../validate";
import { labelArraySchema } from "./labels";

const accuracySchema = z.object({
  yTrue: labelArraySchema,
  yPred: labelArraySchema,
});

/** Options of {@link accuracyScore}. */
export type AccuracyOptions = z.input<typeof accuracySchema>;

/**
 * Fraction of rows whose predicted label equals the true label (scikit-learn's `accuracy_score`).
 * @param options - `yTrue` and `yPred`, one label per row
 * @returns accuracy in [0, 1]
 * @throws ConfigError when the options are malformed
 * @throws MetricInputError when the lengths differ or are zero
 * @example
 * ```ts
 * accuracyScore({ yTrue: [0, 1, 1], yPred: [0, 1, 0] }); // 0.666…
 * ```
 */
export function accuracyScore(options: AccuracyOptions): number {
  const { yTrue, yPred } = parseOptions(accuracySchema, options, "accuracyScore");
  const n = sameLength("accuracy", { yTrue, yPred });
  let hits = 0;
  for (let i = 0; i < n; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / n;
}
