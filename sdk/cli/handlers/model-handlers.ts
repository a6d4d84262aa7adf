/**
 * `tunebook generate` and `tunebook export`: a model folder or a trained experiment folder in, text or an
 * exported folder out.
 */
import fs from "node:fs";
import path from "node:path";
import { Backbone } from "../../models";
import { exportExperiment, loadTrainedBackbone } from "../../train";
import type { CliHandlers } from "../registry";

/**
 * Loads a model folder, or an experiment folder's trained model (best checkpoint if kept, else last).
 * @param model - a Hugging Face model folder, hub id, or experiment folder
 * @returns the backbone (dispose it when done)
 * @example
 * ```ts
 * const backbone = await loadModelOrExperiment("experiments/capitals-20261123-101500");
 * ```
 */
export async function loadModelOrExperiment(model: string): Promise<Backbone> {
  const isExperiment =
    fs.existsSync(path.join(model, "status.json")) || fs.existsSync(path.join(model, "config.yaml"));
  return isExperiment ? loadTrainedBackbone(model) : Backbone.load(model);
}

/** `tunebook generate <model> --prompt …`: streams the completion to stdout. */
export const generateHandler: NonNullable<CliHandlers["generate"]> = async (input) => {
  const backbone = await loadModelOrExperiment(input.model);
  try {
    const temperature = input.temperature ?? 0;
    for await (const chunk of backbone.stream({
      prompt: input.prompt,
      maxNewTokens: input.maxNewTokens ?? 128,
      doSample: temperature > 0,
      temperature: temperature > 0 ? temperature : undefined,
    })) {
      input.write(chunk.text);
    }
    input.write("\n");
  } finally {
    await backbone.dispose();
  }
};

/** `tunebook export <experiment> --output DIR [--format peft|merged]`. */
export const exportHandler: NonNullable<CliHandlers["export"]> = async (input) => {
  const format = input.merge === false ? "peft" : input.format;
  if (format !== "peft" && format !== "merged") {
    throw new Error(`unknown export format '${input.format}': expected peft or merged`);
  }
  const dir = await exportExperiment({
    experiment: input.experiment,
    output: input.output,
    format,
    overwrite: input.overwrite,
  });
  process.stdout.write(`exported ${format} model to ${dir}\n`);
};
