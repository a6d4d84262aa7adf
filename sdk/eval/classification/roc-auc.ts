import { z } from "zod";
import { MetricInputError } from "../errors";
import { parseOptions, sameLength } from "../validate";
import { classIndices, type Label, labelArraySchema, uniqueSorted } from "./labels";

const rocAucSchema = z.object({
  yTrue: labelArraySchema,
  yScore: z.union([z.array(z.number().finite()), z.array(z.array(z.number().finite()))]),
  labels: labelArraySchema.optional(),
  average: z.enum(["macro", "weighted"]).default("macro"),
});

/** Options of {@link rocAuc}. */
export type RocAucOptions = z.input<typeof rocAucSchema>;

/**
 * Area under the ROC curve of one binary problem, computed as scikit-learn's `roc_curve` + `auc` do: rows sorted
 * by score, one curve point per distinct score (so tied scores count as half), trapezoidal area.
 * @param positive - whether each row belongs to the positive class
 * @param scores - the score of the positive class for each row
 * @returns the AUC in [0, 1]
 * @throws MetricInputError when only one class is present
 * @example
 * ```ts
 * binaryRocAuc([false, true, true], [0.1, 0.8, 0.1]); // 0.75
 * ```
 */
export function binaryRocAuc(positive: readonly boolean[], scores: readonly number[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const fps: number[] = [0];
  const tps: number[] = [0];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    if (positive[order[k]]) tp++;
    else fp++;
    const last = k === order.length - 1;
    if (last || scores[order[k + 1]] !== scores[order[k]]) {
      tps.push(tp);
      fps.push(fp);
    }
  }
  if (tp === 0 || fp === 0) {
    throw new MetricInputError({
      metric: "rocAuc",
      expected: "both positive and negative rows",
      found: `${tp} positive and ${fp} negative rows`,
      fix: "ROC AUC is undefined with one class; evaluate on a split that contains both.",
    });
  }
  let area = 0;
  for (let i = 1; i < tps.length; i++) {
    area += ((fps[i] - fps[i - 1]) / fp) * ((tps[i] + tps[i - 1]) / tp / 2);
  }
  return area;
}

/**
 * ROC AUC like scikit-learn's `roc_auc_score`: binary (1-D `yScore` = score of the larger label), or multiclass
 * one-vs-rest (2-D `yScore`, one column per class in sorted label order, or in the order of `labels`), averaged
 * `"macro"` (unweighted, the default) or `"weighted"` by class prevalence.
 * Differences from scikit-learn: a 2-column `yScore` with two classes is accepted (column 1 is the positive
 * class); multiclass rows need not sum to 1 (scikit-learn refuses them).
 * @param options - `yTrue` labels, `yScore` scores, optional `labels` and `average`
 * @returns the AUC in [0, 1]
 * @throws ConfigError when the options are malformed
 * @throws MetricInputError when lengths differ, a class has no rows, or the score width does not match the classes
 * @example
 * ```ts
 * rocAuc({ yTrue: [0, 0, 1, 1], yScore: [0.1, 0.4, 0.35, 0.8] }); // 0.75
 * ```
 */
export function rocAuc(options: RocAucOptions): number {
  const { yTrue, yScore, labels, average } = parseOptions(rocAucSchema, options, "rocAuc");
  sameLength("rocAuc", { yTrue, yScore });
  const classes = labels ?? uniqueSorted("rocAuc", yTrue);
  const idx = classIndices("rocAuc", yTrue, classes);
  const matrix = typeof yScore[0] !== "number";
  if (!matrix) {
    checkWidth(classes, 2, "a 1-D yScore (binary)");
    return binaryRocAuc(
      idx.map((c) => c === 1),
      yScore as number[],
    );
  }
  const rows = yScore as number[][];
  const width = rows[0].length;
  if (rows.some((r) => r.length !== width)) checkWidth(classes, -1, "rows of different widths");
  checkWidth(classes, width, `${width} score columns`);
  if (width === 2) {
    return binaryRocAuc(
      idx.map((c) => c === 1),
      rows.map((r) => r[1]),
    );
  }
  let total = 0;
  let weights = 0;
  for (let c = 0; c < width; c++) {
    const positive = idx.map((k) => k === c);
    const weight = average === "macro" ? 1 : positive.filter(Boolean).length;
    total +=
      weight *
      binaryRocAuc(
        positive,
        rows.map((r) => r[c]),
      );
    weights += weight;
  }
  return total / weights;
}

function checkWidth(classes: readonly Label[], width: number, found: string): void {
  if (classes.length === width) return;
  throw new MetricInputError({
    metric: "rocAuc",
    expected: `one score column per class (${classes.length} classes: ${classes.join(", ")})`,
    found,
    fix: "Pass `labels` naming the classes in the column order of `yScore`.",
  });
}
