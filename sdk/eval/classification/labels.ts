import { z } from "zod";
import { MetricInputError } from "../errors";

/** A class label: a number or a string (not both in one column). */
export type Label = number | string;

/** zod schema of a label column. */
export const labelArraySchema = z.array(z.union([z.number().finite(), z.string()]));

/**
 * The distinct labels, sorted as numpy's `np.unique` sorts them (numbers ascending, strings by code point).
 * @param metric - metric name for errors
 * @param labels - a label column
 * @returns the sorted distinct labels
 * @throws MetricInputError when numbers and strings are mixed
 * @example
 * ```ts
 * uniqueSorted("accuracy", [2, 0, 2]); // [0, 2]
 * ```
 */
export function uniqueSorted(metric: string, labels: readonly Label[]): Label[] {
  const kinds = new Set(labels.map((l) => typeof l));
  if (kinds.size > 1) {
    throw new MetricInputError({
      metric,
      expected: "labels that are all numbers or all strings",
      found: "a mix of numbers and strings",
      fix: "Convert the label column to one type.",
    });
  }
  const distinct = [...new Set(labels)];
  return kinds.has("number")
    ? (distinct as number[]).sort((a, b) => a - b)
    : (distinct as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Index of every label in `classes`.
 * @param metric - metric name for errors
 * @param labels - a label column
 * @param classes - the known classes, in column order
 * @returns the class index of each row
 * @throws MetricInputError when a label is not among `classes`
 * @example
 * ```ts
 * classIndices("logLoss", ["b", "a"], ["a", "b"]); // [1, 0]
 * ```
 */
export function classIndices(metric: string, labels: readonly Label[], classes: readonly Label[]): number[] {
  const index = new Map(classes.map((c, i) => [c, i]));
  return labels.map((l) => {
    const i = index.get(l);
    if (i === undefined) {
      throw new MetricInputError({
        metric,
        expected: `labels among [${classes.join(", ")}]`,
        found: `label ${JSON.stringify(l)}`,
        fix: "Pass every class in `labels`, in the column order of the scores.",
      });
    }
    return i;
  });
}
