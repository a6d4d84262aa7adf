/**
 * `tunebook generate` and `tunebook export`: a model folder or a trained experiment folder in, text or an
 * exported folder out.
 */
import { ConfigError } from "../../errors";
import { EmptyPromptError, type GgufType } from "../../models";
import { exportExperiment, loadModelOrExperiment } from "../../train";
import type { CliHandlers } from "../registry";

/**
 * `tunebook generate <model> --prompt …`: streams the completion to stdout. An empty prompt starts from the
 * model's BOS token; without one it is refused naming `--prompt`.
 */
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
  } catch (e) {
    if (!(e instanceof EmptyPromptError)) throw e;
    const message =
      "the prompt is empty and this model has no beginning-of-sequence token to start from; pass some text";
    throw new ConfigError([{ path: ["--prompt"], message }], { source: "tunebook generate", cause: e });
  } finally {
    await backbone.dispose();
  }
};

/** `tunebook export <experiment> --output DIR [--format peft|merged|gguf] [--gguf-type TYPE]`. */
export const exportHandler: NonNullable<CliHandlers["export"]> = async (input) => {
  // Checked by exportExperiment (format and GGUF type).
  const format = (input.merge === false ? "peft" : input.format) as "peft" | "merged" | "gguf";
  const dir = await exportExperiment({
    experiment: input.experiment,
    output: input.output,
    format,
    overwrite: input.overwrite,
    ggufType: input.ggufType as GgufType | undefined,
  });
  process.stdout.write(`exported ${format} model to ${dir}\n`);
};
