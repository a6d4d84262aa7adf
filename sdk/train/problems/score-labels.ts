/**
 * The labels of a scores problem, read from each example's source record and checked: a binary label is 0 or 1,
 * a multi-class label an integer 0…K−1, a multi-label cell 0 or 1, a regression target a finite number. A
 * value that does not fit is a `DatasetError` naming the column and the 1-based row, raised while the data is
 * prepared (before any experiment folder exists).
 */
import { DatasetError, type TokenizedDataset } from "../../data";
import type { ScoreSettings } from "./score-settings";

/** A cell as a number, or undefined when it is not one (booleans are 0/1; numeric strings are parsed). */
function asNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v.trim());
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}

/** What a value must be, for the message. */
function expected(s: ScoreSettings, numClasses: number): string {
  if (s.kind === "binary") return "a label 0 or 1 (binary: num_classes 1)";
  if (s.kind === "multiclass") return `an integer label 0…${numClasses - 1} (num_classes ${numClasses})`;
  if (s.kind === "multilabel") return "0 or 1 in each label column (multi-label)";
  return "a finite number (regression target)";
}

function fits(s: ScoreSettings, n: number, numClasses: number): boolean {
  if (!Number.isFinite(n)) return false;
  if (s.kind === "regression") return true;
  if (s.kind === "multiclass") return Number.isInteger(n) && n >= 0 && n < numClasses;
  return n === 0 || n === 1;
}

/** How to fix a label outside the range, for the message. */
function fix(s: ScoreSettings, n: number | undefined, numClasses: number): string {
  if (n !== undefined && Number.isInteger(n) && n >= numClasses && s.kind !== "regression")
    return s.kind === "binary"
      ? `; for ${n + 1} classes set dataset.num_classes: ${n + 1} (and training.loss_function: CrossEntropyLoss)`
      : `; set dataset.num_classes to at least ${n + 1}`;
  return "; fix or drop the row";
}

/**
 * The labels of every example, in the examples' order: `outputs` values per example for binary, multi-label
 * and regression (targets), one class index per example for multi-class.
 * @param tokens - the tokenized examples (their source records hold the label columns)
 * @param s - the problem's settings
 * @param numClasses - `dataset.num_classes`
 * @returns the labels, `[examples, outputs]` (or `[examples]` for multi-class), row-major
 * @throws DatasetError naming the column and row of a missing column or a value that is not a label
 * @example
 * ```ts
 * const labels = readLabels(train, classificationSettings(config), config.dataset.numClasses);
 * ```
 */
export function readLabels(tokens: TokenizedDataset, s: ScoreSettings, numClasses: number): Float32Array {
  const width = s.kind === "multiclass" ? 1 : s.outputs;
  const out = new Float32Array(tokens.length * width);
  tokens.examples.forEach((ex, i) => {
    const record = tokens.recordAt(ex.row);
    s.columns.forEach((column, c) => {
      const context = { source: tokens.source, column, row: ex.row };
      if (!record || !(column in record))
        throw new DatasetError(
          `expected a label column '${column}' (dataset.answer_column), found none; columns are ${Object.keys(record ?? {}).join(", ")}`,
          context,
        );
      const cell = record[column];
      const n = asNumber(cell);
      if (n === undefined || !fits(s, n, numClasses))
        throw new DatasetError(
          `expected ${expected(s, numClasses)}, found ${JSON.stringify(cell)}${fix(s, n, numClasses)}`,
          context,
        );
      out[i * width + c] = n;
    });
  });
  return out;
}
