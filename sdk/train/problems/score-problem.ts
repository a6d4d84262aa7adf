/**
 * What `causal_classification` and `causal_regression` share, given their settings: data preparation (the
 * prompt formatted as for causal LM with the answer left out, the labels read and checked), the step (the
 * `score` head and its loss), and validation (the head's outputs over the validation set, the metrics, and a
 * predictions table with per-class probabilities or predicted values).
 */
import type { Dataset, TokenizedDataset, TokenizeOptions } from "../../data";
import { Metrics } from "../../eval";
import type { Tokenizer } from "../../models";
import type { ExperimentConfig } from "../config";
import type { ProblemData, ProblemType, RunMetric, ValidationResult } from "../trainer";
import { promptsOnly, type ScoreData, scoreBatches } from "./score-batches";
import { createScoreStep } from "./score-head";
import { readLabels } from "./score-labels";
import { scoreMetricValues, scoreOutputs, scorePredictionRows } from "./score-metrics";
import type { ScoreSettings } from "./score-settings";
import { tokenizeOptions } from "./tokenize-options";

/**
 * The dataset's examples for a scores problem: the configured prompt and system columns, the answer (which the
 * prompt is cut before) a copy of the first prompt column's first token, so every labelled row is an example
 * whatever its label cell holds.
 */
function scoreExamples(dataset: Dataset, config: ExperimentConfig): Dataset {
  const d = config.dataset;
  return dataset.columns({
    prompt: d.promptColumn as [string, ...string[]],
    promptSeparator: d.promptColumnSeparator,
    answer: d.promptColumn[0],
    system: d.systemColumn ?? undefined,
  });
}

/**
 * Tokenizes prompts for a scores model as its training did (without labels): for prediction.
 * @param dataset - rows holding the configured prompt (and system) columns
 * @param config - the run's configuration
 * @param tokenizer - the backbone's tokenizer
 * @returns the prompts, one example per row with a prompt (rows without one are dropped with a warning)
 * @example
 * ```ts
 * const prompts = tokenizeScorePrompts(Dataset.fromRecords([{ prompt: "great film" }]), config, tokenizer);
 * ```
 */
export function tokenizeScorePrompts(
  dataset: Dataset,
  config: ExperimentConfig,
  tokenizer: Tokenizer,
  onWarning?: (message: string) => void,
): TokenizedDataset {
  const options = scoreTokenizeOptions(config, tokenizer, onWarning);
  return promptsOnly(scoreExamples(dataset, config).tokenize(options));
}

/** The tokenization of a scores problem: the configured formatting, an answer of one token that is cut. */
function scoreTokenizeOptions(
  config: ExperimentConfig,
  tokenizer: Tokenizer,
  onWarning?: (message: string) => void,
): TokenizeOptions {
  return {
    tokenizer,
    ...tokenizeOptions(config),
    maskPrompt: true,
    addEos: false,
    maxLengthAnswer: 1,
    onWarning: onWarning && ((w) => onWarning(w.message)),
  };
}

/**
 * Prepares a scores problem's data.
 * @param o - configuration, dataset, tokenizer, warnings, and the problem's settings
 * @returns training and validation data
 * @throws DatasetError naming the column and row of a label that does not fit
 */
export async function prepareScoreData(o: {
  config: ExperimentConfig;
  dataset: Dataset;
  tokenizer: Tokenizer;
  onWarning: (message: string) => void;
  settings: ScoreSettings;
}): Promise<{ train: ScoreData; validation?: ScoreData }> {
  const { config, settings: s } = o;
  const { train, validation } = await scoreExamples(o.dataset, config).prepare(
    scoreTokenizeOptions(config, o.tokenizer, o.onWarning),
  );
  const k = config.dataset.numClasses;
  const tokenMaskProbability = config.augmentation.tokenMaskProbability;
  return {
    train: scoreBatches(train, readLabels(train, s, k), s, { tokenMaskProbability }),
    validation: validation && scoreBatches(validation, readLabels(validation, s, k), s),
  };
}

/**
 * One validation pass of a scores step: the mean loss over rows, the head's outputs, the metrics and the
 * predictions table's rows.
 * @param o - the step, the data (from {@link prepareScoreData}, which carries the settings), batch size, metrics
 * @returns the result, with `rows` for `predictions/validation.csv`
 */
export async function validateScores(o: {
  step: Parameters<ProblemType["validate"]>[0]["step"];
  data: ProblemData;
  batchSize: number;
  metrics: readonly RunMetric[];
}): Promise<ValidationResult> {
  const data = o.data as ScoreData;
  const s = data.settings;
  const logits = new Float32Array(data.length * s.outputs);
  let lossSum = 0;
  let at = 0;
  for (const batch of data.batches({ batchSize: Math.min(o.batchSize, data.length), shuffle: false })) {
    const r = await o.step.evaluate(await batch.feeds(-1));
    const scores = r.outputs.scores.data as Float32Array;
    logits.set(scores, at);
    at += scores.length;
    lossSum += r.loss * batch.numTargetTokens;
  }
  const outputs = scoreOutputs(logits, s);
  const { metrics, warnings } = await scoreMetricValues({
    outputs,
    labels: data.labels,
    settings: s,
    metrics: o.metrics,
  });
  const records = data.source.examples.map((ex) => data.source.recordAt(ex.row));
  const rows = scorePredictionRows({ records, outputs, settings: s });
  return { loss: lossSum / data.length, metrics, generated: [], warnings, rows };
}

/** The metric objects of a scores problem's metric names (class labels fixed, so a split missing one still scores). */
export function scoreMetric(name: string, s: ScoreSettings): RunMetric {
  const labels = s.kind === "multiclass" ? Array.from({ length: s.outputs }, (_, k) => k) : [0, 1];
  const make: Record<string, () => RunMetric> = {
    auc: () => Metrics.auc({ labels }),
    accuracy: () => Metrics.accuracy(),
    log_loss: () => Metrics.logLoss({ labels }),
    mse: () => Metrics.mse(),
    mae: () => Metrics.mae(),
  };
  return make[name]();
}

/**
 * A scores problem type from its settings: everything but the name, the settings and the checks.
 * @param o - name, settings resolver, checks, metric names (the first is the default metric)
 * @returns the problem type
 */
export function scoreProblem(o: {
  name: ProblemType["name"];
  settings: (config: ExperimentConfig) => ScoreSettings;
  check: ProblemType["check"];
  metricNames: readonly string[];
}): ProblemType {
  return {
    name: o.name,
    produces: "scores",
    metricNames: o.metricNames,
    check: o.check,
    metrics(config) {
      const s = o.settings(config);
      const m = config.prediction.metric;
      const first = o.metricNames.includes(m) ? m : o.metricNames[0];
      return [first, ...o.metricNames.filter((n) => n !== first)].map((n) => scoreMetric(n, s));
    },
    prepare: (p) => prepareScoreData({ ...p, settings: o.settings(p.config) }),
    createStep: (p) => createScoreStep(p, o.settings(p.config)),
    validate: validateScores,
  };
}
