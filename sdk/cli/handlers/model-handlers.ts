/**
 * `tunebook generate` and `tunebook export`: a model folder or a trained experiment folder in, text or an
 * exported folder out.
 */
import { ConfigError } from "../../errors";
import { EmptyPromptError, type GgufType, MERGED_DTYPES, ONNX_DTYPES, type OnnxDtype } from "../../models";
import { type ExportFormat, exportExperiment, loadModelOrExperiment } from "../../train";
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

/**
 * The `--dtypes` of `--format onnx`, checked.
 * @param format - the `--format`
 * @param dtypes - the `--dtypes` list, if given
 * @returns the dtypes, or undefined for the default
 * @throws ConfigError for `--dtypes` without `--format onnx`, or an unknown dtype
 * @example
 * ```ts
 * onnxDtypes("onnx", ["fp32", "q4"]); // ["fp32", "q4"]
 * ```
 */
export function onnxDtypes(format: string, dtypes: string[] | undefined): OnnxDtype[] | undefined {
  if (!dtypes) return undefined;
  const where = { source: "tunebook export" };
  if (format !== "onnx") {
    const message = `applies only to --format onnx (the format is ${format}); leave it out`;
    throw new ConfigError([{ path: ["--dtypes"], message }], where);
  }
  const bad = dtypes.filter((d) => !(ONNX_DTYPES as readonly string[]).includes(d));
  if (bad.length || dtypes.length === 0) {
    const message = `unknown dtype ${bad.map((d) => `'${d}'`).join(", ") || "(none given)"}; choose from ${ONNX_DTYPES.join(", ")}, comma-separated`;
    throw new ConfigError([{ path: ["--dtypes"], message }], where);
  }
  return dtypes as OnnxDtype[];
}

/** The `--merged-dtype` value, checked; refused with another format. */
function mergedDtype(format: string, value: string | undefined): (typeof MERGED_DTYPES)[number] | undefined {
  if (value === undefined) return undefined;
  const where = { source: "tunebook export" };
  if (format !== "merged") {
    const message = `--merged-dtype applies to --format merged, not ${format}`;
    throw new ConfigError([{ path: ["--merged-dtype"], message }], where);
  }
  if (!(MERGED_DTYPES as readonly string[]).includes(value)) {
    const message = `unknown dtype '${value}'; choose from ${MERGED_DTYPES.join(", ")}`;
    throw new ConfigError([{ path: ["--merged-dtype"], message }], where);
  }
  return value as (typeof MERGED_DTYPES)[number];
}

/**
 * `tunebook export <experiment> --output DIR [--format peft|merged|onnx|gguf] [--dtypes fp32,q8,q4] [--gguf-type TYPE]
 * [--merged-dtype DTYPE]`.
 */
export const exportHandler: NonNullable<CliHandlers["export"]> = async (input) => {
  const format = (input.merge === false ? "peft" : input.format) as ExportFormat; // checked by exportExperiment (format and GGUF type)
  const dir = await exportExperiment({
    experiment: input.experiment,
    output: input.output,
    format,
    overwrite: input.overwrite,
    ggufType: input.ggufType as GgufType | undefined,
    onnxDtypes: onnxDtypes(format, input.dtypes),
    mergedDtype: mergedDtype(format, input.mergedDtype),
  });
  process.stdout.write(`exported ${format} model to ${dir}\n`);
};
