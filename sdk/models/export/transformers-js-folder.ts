/**
 * The folder layout transformers.js (`@huggingface/transformers`) loads with `from_pretrained(dir)` or
 * `pipeline("text-generation", dir)`: the Hugging Face JSON files at the top (`config.json` with a
 * `transformers.js_config` saying the weights are ONNX external data, `generation_config.json`, the tokenizer
 * files) and the decoder in `onnx/`, one file per `dtype`: `model.onnx` (fp32), `model_quantized.onnx` (q8),
 * `model_q4.onnx` (q4), each with its weights in `<file>_data`.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { onnx } from "onnx-proto";
import { decoderConfigJson } from "./decoder-config-json";
import { TOKENIZER_FILES } from "./export-merged-model";
import { saveWithExternalData } from "./onnx-external-data";

/** The transformers.js `dtype`s an ONNX export can hold. */
export const ONNX_DTYPES = ["fp32", "q8", "q4"] as const;

/** A transformers.js `dtype`: `fp32`, `q8` (int8 weights) or `q4` (4-bit block weights). */
export type OnnxDtype = (typeof ONNX_DTYPES)[number];

/** The file transformers.js loads for each `dtype`, relative to the model folder. */
export const ONNX_FILES: Readonly<Record<OnnxDtype, string>> = {
  fp32: path.join("onnx", "model.onnx"),
  q8: path.join("onnx", "model_quantized.onnx"),
  q4: path.join("onnx", "model_q4.onnx"),
};

/**
 * Writes the JSON files of a transformers.js folder from a Hugging Face model folder: `config.json` with
 * `transformers.js_config` (`use_external_data_format: true`, default `dtype`), `generation_config.json` (the
 * model's, else its BOS/EOS ids) and the tokenizer files present.
 * @param modelDir - the Hugging Face model folder
 * @param out - the folder to write into (created)
 * @param dtype - the `dtype` transformers.js loads when none is asked for (default `fp32`)
 * @returns the file names written
 * @throws Error when a file cannot be read or written
 * @example
 * ```ts
 * writeTransformersJsFiles("models/tiny", "/tmp/tiny-onnx");
 * ```
 */
export function writeTransformersJsFiles(modelDir: string, out: string, dtype: OnnxDtype = "fp32"): string[] {
  mkdirSync(out, { recursive: true });
  const config = decoderConfigJson(JSON.parse(readFileSync(path.join(modelDir, "config.json"), "utf8")));
  config["transformers.js_config"] = { use_external_data_format: true, dtype };
  writeFileSync(path.join(out, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  const generation = path.join(modelDir, "generation_config.json");
  const generationConfig = existsSync(generation)
    ? readFileSync(generation, "utf8")
    : `${JSON.stringify({ bos_token_id: config.bos_token_id, eos_token_id: config.eos_token_id }, null, 2)}\n`;
  writeFileSync(path.join(out, "generation_config.json"), generationConfig);
  const copied = TOKENIZER_FILES.filter((name) => existsSync(path.join(modelDir, name)));
  for (const name of copied) copyFileSync(path.join(modelDir, name), path.join(out, name));
  return ["config.json", "generation_config.json", ...copied];
}

/** Options of {@link writeTransformersJsFolder}. */
export interface TransformersJsFolderOptions {
  /** The Hugging Face model directory the decoder was built from (config.json, tokenizer files). */
  readonly modelDir: string;
  /** A KV-cache decoder ONNX file with optimum's input/output names (its external data files beside it). */
  readonly onnxPath: string;
  /** The folder to write (created). */
  readonly out: string;
}

/**
 * Writes a transformers.js-loadable fp32 folder from a Hugging Face model directory and a KV-cache decoder file
 * (e.g. the `generate-r<n>.onnx` a backbone's generation compiles).
 * @param options - `modelDir`, `onnxPath`, `out`
 * @returns the folder and how its weight file was made (`linked`: no copy; `copied`: gathered)
 * @throws Error when a file cannot be read or written
 * @example
 * ```ts
 * const { folder } = writeTransformersJsFolder({
 *   modelDir, onnxPath: path.join(backbone.folder, "generate-r0.onnx"), out: "/tmp/peer-model",
 * });
 * ```
 */
export function writeTransformersJsFolder(options: TransformersJsFolderOptions): {
  folder: string;
  data: "linked" | "copied";
} {
  const { modelDir, onnxPath, out } = options;
  writeTransformersJsFiles(modelDir, out);
  mkdirSync(path.join(out, "onnx"), { recursive: true });
  const model = onnx.ModelProto.decode(readFileSync(onnxPath));
  const data = saveWithExternalData(model, path.dirname(onnxPath), path.join(out, ONNX_FILES.fp32));
  return { folder: out, data };
}
