/** `tunebook eval <experiment> [--data file] [--output file]`: scores a trained experiment. */
import path from "node:path";
import { Dataset } from "../../data";
import {
  columnMapping,
  configuredMetrics,
  datasetFromConfig,
  ExperimentSetupError,
  evaluateModel,
  loadTrainedBackbone,
  openExperiment,
  predictionRecords,
  toCsv,
  tokenizeOptions,
} from "../../train";
import { writeFileAtomic } from "../../util";
import type { CliHandlers } from "../registry";

/** Runs `tunebook eval`: prints each metric and writes the per-row predictions as CSV. */
export const evalHandler: NonNullable<CliHandlers["eval"]> = async (input) => {
  const { store, config } = openExperiment(input.experiment);
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
    const rows = predictionRecords(ev);
    let file: string;
    if (input.output) {
      file = path.resolve(input.output);
      await writeFileAtomic(file, toCsv(rows));
    } else file = await store.writePredictions("eval", rows, "csv");
    process.stdout.write(`predictions: ${file}\n`);
  } finally {
    await backbone.dispose();
  }
};
