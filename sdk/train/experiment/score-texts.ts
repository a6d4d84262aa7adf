/**
 * Predictions of a trained scores model (`causal_classification`, `causal_regression`) on new rows: the prompts
 * formatted and tokenized as in training, the backbone's last-token hidden state through the `score` head,
 * then probabilities (softmax or sigmoid) or values, in the rows' order.
 */
import { type DataRecord, Dataset, DatasetError } from "../../data";
import type { Backbone } from "../../models";
import type { ExperimentConfig } from "../config";
import {
  classificationSettings,
  outputColumns,
  prepareScoreData,
  problemType,
  regressionSettings,
  type ScoreSettings,
  scoreInputFeeds,
  scoreMetricValues,
  scoreOutputs,
  scorePredictionRows,
  scoreSession,
  tokenizeScorePrompts,
} from "../problems";
import type { RunMetric } from "../trainer";
import { ExperimentSetupError } from "./experiment-setup-error";

/** What a scores model predicts for some rows. */
export interface ScorePredictions {
  /** The output columns: `probability_<class>` (classification) or `predicted_<target>` (regression). */
  columns: string[];
  /** One row of outputs per input row, in that order (probabilities sum to 1 for multi-class). */
  values: number[][];
  /** The settings the model was trained with (kind, label columns, loss). */
  settings: ScoreSettings;
}

/**
 * The settings of a configuration that trains a scores head.
 * @param config - the configuration
 * @returns its settings
 * @throws ExperimentSetupError for a `causal_lm` configuration (it writes text; use generate)
 */
export function scoreSettingsOf(config: ExperimentConfig): ScoreSettings {
  if (config.problemType === "causal_classification") return classificationSettings(config);
  if (config.problemType === "causal_regression") return regressionSettings(config);
  throw new ExperimentSetupError(
    `a ${config.problemType} model writes text and has no scores head`,
    "Use generate() or chat for it; classify() and predict() are for causal_classification and causal_regression models.",
  );
}

/**
 * Scores rows with a trained head.
 * @param o - the backbone (trained values loaded), the head, the run's configuration, the rows (a string is the
 *   prompt; a record holds the configured prompt and system columns), batch size
 * @returns the outputs, one row per input row
 * @throws DatasetError naming a row without a prompt; ExperimentSetupError for a model without a head
 * @example
 * ```ts
 * const { values } = await scoreRows({ backbone, head, config, rows: ["a great film"] });
 * ```
 */
export async function scoreRows(o: {
  backbone: Backbone;
  head?: Float32Array;
  config: ExperimentConfig;
  rows: readonly (string | DataRecord)[];
  batchSize?: number;
}): Promise<ScorePredictions> {
  const settings = scoreSettingsOf(o.config);
  if (!o.head)
    throw new ExperimentSetupError(
      "the model has no trained score head",
      "Load it from a finished causal_classification or causal_regression experiment.",
    );
  const tokenizer = o.backbone.modelDir.tokenizer;
  if (!tokenizer)
    throw new ExperimentSetupError("the backbone has no tokenizer", "Load it with a tokenizer.json.");
  const first = o.config.dataset.promptColumn[0];
  const records = o.rows.map((r) => (typeof r === "string" ? { [first]: r } : r));
  const config: ExperimentConfig = o.rows.every((r) => typeof r === "string")
    ? { ...o.config, dataset: { ...o.config.dataset, promptColumn: [first], systemColumn: null } }
    : o.config;
  const prompts = tokenizeScorePrompts(Dataset.fromRecords(records), config, tokenizer, () => {});
  const session = await scoreSession(o.backbone, o.head);
  const K = settings.outputs;
  const byRow = new Map<number, number[]>();
  const batchSize = Math.max(1, Math.min(o.batchSize ?? 8, prompts.length));
  if (prompts.length > 0) {
    for (const batch of prompts.batches({ batchSize, shuffle: false })) {
      const { dropout_seed: _, ...feeds } = scoreInputFeeds(batch, -1);
      const out = await session.run(feeds);
      const values = scoreOutputs(out.scores.data as Float32Array, settings);
      batch.rows.forEach((r, b) => {
        byRow.set(r[0], Array.from(values.subarray(b * K, (b + 1) * K)));
      });
    }
  }
  const values = records.map((_, i) => {
    const v = byRow.get(i + 1);
    if (!v)
      throw new DatasetError(
        `expected a non-empty prompt in '${first}', found none; fill it in or drop the row`,
        {
          row: i + 1,
          column: first,
        },
      );
    return v;
  });
  return { columns: outputColumns(settings), values, settings };
}

/**
 * Evaluates a trained scores model on labelled rows: the validation part of `dataset` (all of it when it has no
 * validation split), its metrics and a predictions table (source columns, one output column per class or target,
 * the predicted label).
 * @param o - backbone, head, configuration, the dataset, the metrics (the problem's by default)
 * @returns metric values, warnings and the table's rows
 * @throws DatasetError naming the row of a label that does not fit; ExperimentSetupError for a text model
 * @example
 * ```ts
 * const ev = await evaluateScores({ ...(await loadTrainedModel(dir)), dataset: await Dataset.fromFile("test.csv") });
 * ```
 */
export async function evaluateScores(o: {
  backbone: Backbone;
  head?: Float32Array;
  config: ExperimentConfig;
  dataset: Dataset;
  metrics?: readonly RunMetric[];
}): Promise<{ metrics: Record<string, number>; warnings: string[]; rows: Record<string, unknown>[] }> {
  const settings = scoreSettingsOf(o.config);
  const tokenizer = o.backbone.modelDir.tokenizer;
  if (!tokenizer)
    throw new ExperimentSetupError("the backbone has no tokenizer", "Load it with a tokenizer.json.");
  const warnings: string[] = [];
  const prepared = await prepareScoreData({
    config: o.config,
    dataset: o.dataset,
    tokenizer,
    onWarning: (m) => warnings.push(m),
    settings,
  });
  const data = prepared.validation ?? prepared.train;
  const records = data.source.examples.map((ex) => data.source.recordAt(ex.row) ?? {});
  const predicted = await scoreRows({ ...o, rows: records, batchSize: o.config.training.batchSize });
  const outputs = Float32Array.from(predicted.values.flat());
  const metrics = o.metrics ?? problemType(o.config.problemType).metrics(o.config);
  const scored = await scoreMetricValues({ outputs, labels: data.labels, settings, metrics });
  const rows = scorePredictionRows({ records, outputs, settings });
  return { metrics: scored.metrics, warnings: [...warnings, ...scored.warnings], rows };
}
