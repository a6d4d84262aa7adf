/** `tunebook eval <experiment> [--data file] [--output file]`: scores a trained experiment. */
import path from "node:path";
import { Dataset } from "../../data";
import {
  columnMapping,
  configuredMetrics,
  datasetFromConfig,
  type ExperimentConfig,
  ExperimentSetupError,
  type ExperimentStore,
  evaluateModel,
  evaluateScores,
  loadTrainedBackbone,
  loadTrainedModel,
  openExperiment,
  predictionRecords,
  problemType,
  toCsv,
  tokenizeOptions,
} from "../../train";
import { writeFileAtomic } from "../../util";
import type { CliHandlers } from "../registry";

/** Runs `tunebook eval`: prints each metric and writes the per-row predictions as CSV. */
export const evalHandler: NonNullable<CliHandlers["eval"]> = async (input) => {
  const { store, config } = openExperiment(input.experiment);
  if (problemType(config.problemType).produces === "scores") return evalScores(input, store, config);
  const backbone = await loadTrainedBackbone(input.experiment);
  try {
    const tokenizer = backbone.modelDir.tokenizer;
    if (!tokenizer) throw new ExperimentSetupError("the backbone has no tokenizer", "Add tokenizer.json.");
    const options = { tokenizer, ...tokenizeOptions(config) };
    const data = input.data
      ? (await Dataset.fromFile(input.data)).columns(columnMapping(config.dataset)).tokenize(options)
      : (await (await datasetFromConfig(config)).prepare(options)).validation;
    if (!data) throw new ExperimentSetupError("the config has no validation data", "Pass --data <file>.");
    const ev = await evaluateModel({
      backbone,
      data,
      metrics: configuredMetrics(config),
      prediction: config.prediction,
    });
    for (const w of ev.warnings) process.stderr.write(`warning: ${w}\n`);
    for (const [name, value] of Object.entries(ev.metrics)) process.stdout.write(`${name}\t${value}\n`);
    await writeRows(predictionRecords(ev), store, input.output, "eval");
  } finally {
    await backbone.dispose();
  }
};

/**
 * Writes a predictions table to `output`, or to `predictions/<name>.csv` in the experiment, and prints where.
 * @param rows - the rows
 * @param store - the experiment
 * @param output - a file given on the command line
 * @param name - the table's name in the experiment
 * @returns when written
 */
export async function writeRows(
  rows: readonly Record<string, unknown>[],
  store: ExperimentStore,
  output: string | undefined,
  name: string,
): Promise<void> {
  let file: string;
  if (output) {
    file = path.resolve(output);
    await writeFileAtomic(file, toCsv(rows));
  } else file = await store.writePredictions(name, rows, "csv");
  process.stdout.write(`predictions: ${file}\n`);
}

/** `tunebook eval` of a scores experiment: its metrics on the validation data or `--data`, and its table. */
async function evalScores(
  input: Parameters<NonNullable<CliHandlers["eval"]>>[0],
  store: ExperimentStore,
  config: ExperimentConfig,
): Promise<void> {
  const model = await loadTrainedModel(input.experiment);
  try {
    const dataset = input.data ? await Dataset.fromFile(input.data) : await datasetFromConfig(config);
    const ev = await evaluateScores({ ...model, dataset });
    for (const w of ev.warnings) process.stderr.write(`warning: ${w}\n`);
    for (const [name, value] of Object.entries(ev.metrics)) process.stdout.write(`${name}\t${value}\n`);
    await writeRows(ev.rows, store, input.output, "eval");
  } finally {
    await model.backbone.dispose();
  }
}
