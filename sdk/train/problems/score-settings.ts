/**
 * What a scores problem (`causal_classification`, `causal_regression`) reads from the configuration: its label
 * columns (`dataset.answer_column`, one or several, H2O LLM Studio's meaning), the kind of labels, the number of
 * head outputs, and its loss (`training.loss_function`, H2O's names), with the checks that tie them together.
 */
import type { ConfigIssue } from "../../errors";
import type { ExperimentConfig } from "../config";

/**
 * The kind of labels: `binary` (one 0/1 column, `num_classes: 1`), `multiclass` (one column of 0…K−1),
 * `multilabel` (K columns of 0/1), `regression` (one or more numeric columns).
 */
export type ScoreKind = "binary" | "multiclass" | "multilabel" | "regression";

/** The loss of a scores head. */
export type ScoreLoss = "CrossEntropyLoss" | "BinaryCrossEntropyLoss" | "MSELoss" | "MAELoss";

/** A scores problem's resolved settings. */
export interface ScoreSettings {
  readonly kind: ScoreKind;
  /** The label or target columns, in head-output order. */
  readonly columns: readonly string[];
  /** Rows of the head `score.weight` `[outputs, hidden]`. */
  readonly outputs: number;
  readonly loss: ScoreLoss;
}

/** The label columns of `dataset.answer_column` (a string is one column). */
export function labelColumns(config: ExperimentConfig): string[] {
  const a = config.dataset.answerColumn;
  return a === null ? [] : typeof a === "string" ? [a] : [...a];
}

/**
 * The settings of a classification run.
 * @param config - the configuration
 * @returns kind, columns, outputs and loss (`loss_function` null: cross-entropy for one multi-class column,
 *   binary cross-entropy otherwise)
 * @example
 * ```ts
 * classificationSettings(config).kind; // "multiclass" for answer_column: label, num_classes: 3
 * ```
 */
export function classificationSettings(config: ExperimentConfig): ScoreSettings {
  const columns = labelColumns(config);
  const k = config.dataset.numClasses;
  const kind: ScoreKind = columns.length > 1 ? "multilabel" : k > 1 ? "multiclass" : "binary";
  const loss =
    (config.training.lossFunction as ScoreLoss | null) ??
    (kind === "multiclass" ? "CrossEntropyLoss" : "BinaryCrossEntropyLoss");
  return { kind, columns, outputs: kind === "binary" ? 1 : k, loss };
}

/**
 * The settings of a regression run: one head output per target column, MSE unless `loss_function: MAELoss`.
 * @param config - the configuration
 * @returns kind `regression`, columns, outputs and loss
 * @example
 * ```ts
 * regressionSettings(config).outputs; // 2 for answer_column: [price, rating]
 * ```
 */
export function regressionSettings(config: ExperimentConfig): ScoreSettings {
  const columns = labelColumns(config);
  const loss = (config.training.lossFunction as ScoreLoss | null) ?? "MSELoss";
  return { kind: "regression", columns, outputs: Math.max(1, columns.length), loss };
}

const issue = (path: string[], message: string): ConfigIssue => ({ path, message });

/**
 * Settings a classification run cannot train with (H2O LLM Studio's checks).
 * @param config - the configuration
 * @returns the issues (none when it can train)
 * @example
 * ```ts
 * checkClassification(config); // [] or [{ path: ["dataset", "num_classes"], message: "…" }]
 * ```
 */
export function checkClassification(config: ExperimentConfig): ConfigIssue[] {
  const s = classificationSettings(config);
  const out = [...commonIssues(config, ["auc", "accuracy", "log_loss"])];
  if (s.columns.length === 0)
    out.push(issue(["dataset", "answer_column"], "expected the label column(s), got null"));
  if (!["CrossEntropyLoss", "BinaryCrossEntropyLoss"].includes(s.loss)) {
    out.push(
      issue(
        ["training", "loss_function"],
        `causal_classification trains with CrossEntropyLoss or BinaryCrossEntropyLoss, got ${s.loss}`,
      ),
    );
  }
  const k = config.dataset.numClasses;
  if (s.kind === "multilabel") {
    if (s.loss === "CrossEntropyLoss")
      out.push(
        issue(
          ["training", "loss_function"],
          "CrossEntropyLoss needs a single multi-class label column; several answer columns (multi-label) train with BinaryCrossEntropyLoss",
        ),
      );
    if (k !== s.columns.length)
      out.push(
        issue(
          ["dataset", "num_classes"],
          `multi-label classification needs num_classes equal to the number of answer columns (${s.columns.length}), got ${k}`,
        ),
      );
  } else if (s.loss === "CrossEntropyLoss" && k === 1) {
    out.push(
      issue(["dataset", "num_classes"], "CrossEntropyLoss needs num_classes > 1 (labels 0…K−1), got 1"),
    );
  } else if (s.loss === "BinaryCrossEntropyLoss" && k !== 1) {
    out.push(
      issue(
        ["training", "loss_function"],
        `BinaryCrossEntropyLoss on one label column needs num_classes 1 (labels 0/1), got num_classes ${k}; use CrossEntropyLoss for ${k} classes`,
      ),
    );
  }
  return out;
}

/**
 * Settings a regression run cannot train with.
 * @param config - the configuration
 * @returns the issues
 * @example
 * ```ts
 * checkRegression({ ...config, training: { ...config.training, lossFunction: "CrossEntropyLoss" } }).length; // 1
 * ```
 */
export function checkRegression(config: ExperimentConfig): ConfigIssue[] {
  const s = regressionSettings(config);
  const out = [...commonIssues(config, ["mse", "mae"])];
  if (s.columns.length === 0)
    out.push(issue(["dataset", "answer_column"], "expected the numeric target column(s), got null"));
  if (!["MSELoss", "MAELoss"].includes(s.loss))
    out.push(
      issue(["training", "loss_function"], `causal_regression trains with MSELoss or MAELoss, got ${s.loss}`),
    );
  return out;
}

/** Checks shared by the scores problems: a metric of their own, no chat columns, no packing. */
function commonIssues(config: ExperimentConfig, metrics: readonly string[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const p = config.problemType;
  const m = config.prediction.metric;
  if (m !== "perplexity" && !metrics.includes(m))
    out.push(issue(["prediction", "metric"], `${p} is validated with ${metrics.join(", ")}, got ${m}`));
  const d = config.dataset;
  for (const key of ["messagesColumn", "textColumn", "parentIdColumn"] as const) {
    if (d[key] !== null) {
      const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      out.push(issue(["dataset", snake], `${p} reads a prompt and label columns; set ${snake} to null`));
    }
  }
  if (config.training.packing)
    out.push(issue(["training", "packing"], `${p} scores one prompt per row; set packing to false`));
  return out;
}
