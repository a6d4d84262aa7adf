/** `tunebook predict <experiment> <file> [--output file]`: a scores model's outputs for every row of a file. */
import { Dataset } from "../../data";
import {
  loadTrainedModel,
  openExperiment,
  scorePredictionRows,
  scoreRows,
  scoreSettingsOf,
} from "../../train";
import type { CliHandlers } from "../registry";
import { writeRows } from "./eval-handler";

/** Runs `tunebook predict`: writes the file's rows with one probability (or value) column per class (or target). */
export const predictHandler: NonNullable<CliHandlers["predict"]> = async (input) => {
  const { store, config } = openExperiment(input.experiment);
  scoreSettingsOf(config); // a text model is refused here, before the model loads
  const records = (await Dataset.fromFile(input.file)).records;
  const model = await loadTrainedModel(input.experiment);
  try {
    const predicted = await scoreRows({ ...model, rows: records, batchSize: config.training.batchSize });
    const outputs = Float32Array.from(predicted.values.flat());
    await writeRows(
      scorePredictionRows({ records, outputs, settings: predicted.settings }),
      store,
      input.output,
      "predict",
    );
  } finally {
    await model.backbone.dispose();
  }
};
