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
  regressionSettings,
  type ScoreSettings,
  scoreInputFeeds,
  scoreOutputs,
  scoreSession,
  tokenizeScorePrompts,
} from "../problems";
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
