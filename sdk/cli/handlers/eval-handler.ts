/** `tunebook eval <experiment> [--data file] [--output file]`: scores a trained experiment. */
import path from "node:path";
import { Dataset } from "../../data";
import { Metrics } from "../../eval";
import {
  columnMapping,
  datasetFromConfig,
  type ExperimentConfig,
  ExperimentSetupError,
  evaluateModel,
  loadTrainedBackbone,
  openExperiment,
  predictionRecords,
  type RunMetric,
  toCsv,
  tokenizeOptions,
} from "../../train";
import { writeFileAtomic } from "../../util";
import type { CliHandlers } from "../registry";

/** Perplexity, plus the configured `prediction.metric` when it is another one. */
function configuredMetrics(config: ExperimentConfig): RunMetric[] {
  const p = config.prediction;
  const extra: Record<string, () => RunMetric> = {
    bleu: () => Metrics.bleu(),
    qa_accuracy: () => Metrics.qaAccuracy(),
    llm_judge: () => Metrics.judge({ model: p.judgeModel }),
  };
  return [Metrics.perplexity(), ...(extra[p.metric] ? [extra[p.metric]()] : [])];
}

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
