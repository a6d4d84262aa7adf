import { parseOptions } from "../errors";
import { MetricInputError } from "./errors";

/** Options parsing, shared by every layer (re-exported for the metrics). */
export { parseOptions };

/**
 * Checks that parallel arrays have the same, non-zero length.
 * @param metric - metric name for the error
 * @param arrays - named arrays, e.g. `{ yTrue, yPred }`
 * @returns the common length
 * @throws MetricInputError when lengths differ or are zero
 * @example
 * ```ts
 * const n = sameLength("mse", { yTrue: [1], yPred: [2] }); // 1
 * ```
 */
export function sameLength(metric: string, arrays: Record<string, ArrayLike<unknown>>): number {
  const entries = Object.entries(arrays);
  const n = entries[0][1].length;
  const bad = entries.find(([, a]) => a.length !== n);
  if (bad || n === 0) {
    const found = entries.map(([k, a]) => `${k}.length = ${a.length}`).join(", ");
    throw new MetricInputError({
      metric,
      expected: "arrays of the same non-zero length (one entry per row)",
      found,
      fix: "Pass one value per row in every array.",
    });
  }
  return n;
}
