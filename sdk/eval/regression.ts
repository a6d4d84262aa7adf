import { z } from "zod";
import { parseOptions, sameLength } from "./validate";

const regressionSchema = z.object({
  yTrue: z.array(z.number().finite()),
  yPred: z.array(z.number().finite()),
});

/** Options of {@link meanSquaredError} and {@link meanAbsoluteError}. */
export type RegressionOptions = z.input<typeof regressionSchema>;

function pairs(options: RegressionOptions, name: string): { yTrue: number[]; yPred: number[] } {
  const parsed = parseOptions(regressionSchema, options, name);
  sameLength(name, parsed);
  return parsed;
}

/**
 * Mean squared error, as scikit-learn's `mean_squared_error`.
 * @param options - `yTrue` and `yPred`, one number per row
 * @returns mean of `(yTrue − yPred)²`
 * @throws ConfigError when the options are malformed
 * @throws MetricInputError when the lengths differ or are zero
 * @example
 * ```ts
 * meanSquaredError({ yTrue: [3, -0.5, 2, 7], yPred: [2.5, 0, 2, 8] }); // 0.375
 * ```
 */
export function meanSquaredError(options: RegressionOptions): number {
  const { yTrue, yPred } = pairs(options, "mse");
  return yTrue.reduce((s, y, i) => s + (y - yPred[i]) ** 2, 0) / yTrue.length;
}

/**
 * Mean absolute error, as scikit-learn's `mean_absolute_error`.
 * @param options - `yTrue` and `yPred`, one number per row
 * @returns mean of `|yTrue − yPred|`
 * @throws ConfigError when the options are malformed
 * @throws MetricInputError when the lengths differ or are zero
 * @example
 * ```ts
 * meanAbsoluteError({ yTrue: [3, -0.5, 2, 7], yPred: [2.5, 0, 2, 8] }); // 0.5
 * ```
 */
export function meanAbsoluteError(options: RegressionOptions): number {
  const { yTrue, yPred } = pairs(options, "mae");
  return yTrue.reduce((s, y, i) => s + Math.abs(y - yPred[i]), 0) / yTrue.length;
}
