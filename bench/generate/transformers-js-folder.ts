/**
 * Writes a model in the folder layout transformers.js (`@huggingface/transformers`) loads with
 * `AutoModelForCausalLM.from_pretrained(dir, { local_files_only: true })`: the Hugging Face JSON files at the top
 * and the KV-cache decoder as `onnx/model.onnx` with its weights as ONNX external data in `onnx/model.onnx_data`
 * (the name transformers.js asks for when `transformers.js_config.use_external_data_format` is set).
 *
 * The ONNX graph is the one our generation runs (`generate-r<n>.onnx` from `cachedSession`, Hugging Face/optimum
 * input and output names); its external data may live in several files of the backbone's folder (the linked
 * safetensors, converted float16 weights, a side file). One file is hard-linked (copied across file systems) as
 * `model.onnx_data`; several are concatenated, and every initializer's `location`/`offset` is rewritten to match.
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { onnx } from "onnx-proto";

/** Where transformers.js looks for the decoder and its weights, relative to the model folder. */
export const PEER_MODEL_FILE = path.join("onnx", "model.onnx");
const DATA_NAME = "model.onnx_data";
const JSON_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

/** Options of {@link writeTransformersJsFolder}. */
export interface PeerFolderOptions {
  /** The Hugging Face model directory the backbone was loaded from (config.json, tokenizer files). */
  readonly modelDir: string;
  /** The KV-cache decoder ONNX file (its external data files beside it). */
  readonly onnxPath: string;
  /** The folder to write (created). */
  readonly out: string;
}

/** Reads every initializer's external-data entry as a map. */
function externalEntries(tensor: onnx.ITensorProto): Map<string, string> {
  return new Map((tensor.externalData ?? []).map((e) => [e.key ?? "", e.value ?? ""]));
}

function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** Concatenates `files` into `target` (64-byte aligned) and returns each file's start offset. */
function concatenate(files: readonly string[], target: string): Map<string, number> {
  const starts = new Map<string, number>();
  const fd = openSync(target, "w");
  let at = 0;
  try {
    for (const file of files) {
      const pad = (64 - (at % 64)) % 64;
      if (pad) at += writeSync(fd, new Uint8Array(pad), 0, pad, at);
      starts.set(file, at);
      const bytes = readFileSync(file);
      at += writeSync(fd, bytes, 0, bytes.byteLength, at);
    }
  } finally {
    closeSync(fd);
  }
  return starts;
}

/**
 * Moves all external data of `model` into `<onnxDir>/model.onnx_data` and points the initializers at it.
 * @param model - the decoded model (changed in place)
 * @param sourceDir - the folder the model's `location` entries are relative to
 * @param onnxDir - the output `onnx/` folder
 * @returns how the data file was made
 */
function relocateExternalData(
  model: onnx.ModelProto,
  sourceDir: string,
  onnxDir: string,
): "linked" | "copied" {
  const tensors = (model.graph?.initializer ?? []).filter(
    (t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL,
  );
  const files = [...new Set(tensors.map((t) => externalEntries(t).get("location") ?? ""))];
  const target = path.join(onnxDir, DATA_NAME);
  const starts =
    files.length === 1
      ? new Map([[files[0], 0]])
      : concatenate(
          files.map((f) => path.join(sourceDir, f)),
          target,
        );
  if (files.length === 1) linkOrCopy(path.join(sourceDir, files[0]), target);
  for (const t of tensors) {
    const entries = externalEntries(t);
    const location = entries.get("location") ?? "";
    const start = starts.get(files.length === 1 ? location : path.join(sourceDir, location)) ?? 0;
    entries.set("location", DATA_NAME);
    entries.set("offset", String(start + Number(entries.get("offset") ?? "0")));
    t.externalData = [...entries].map(([key, value]) => onnx.StringStringEntryProto.create({ key, value }));
  }
  return files.length === 1 ? "linked" : "copied";
}

/**
 * Writes a transformers.js-loadable model folder from a Hugging Face model directory and our KV-cache decoder.
 * @param options - `modelDir`, `onnxPath` (the decoder written by `cachedSession`), `out`
 * @returns the folder and how its weight file was made (`linked`: no copy; `copied`: concatenated)
 * @throws Error when a file cannot be read or written
 * @example
 * ```ts
 * await cachedSession(backbone);
 * const { folder } = writeTransformersJsFolder({
 *   modelDir, onnxPath: path.join(backbone.folder, "generate-r0.onnx"), out: "/tmp/peer-model",
 * });
 * ```
 */
export function writeTransformersJsFolder(options: PeerFolderOptions): {
  folder: string;
  data: "linked" | "copied";
} {
  const { modelDir, onnxPath, out } = options;
  const onnxDir = path.join(out, "onnx");
  mkdirSync(onnxDir, { recursive: true });
  const config = JSON.parse(readFileSync(path.join(modelDir, "config.json"), "utf8"));
  config["transformers.js_config"] = { use_external_data_format: true, dtype: "fp32" };
  writeFileSync(path.join(out, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  const generation = path.join(modelDir, "generation_config.json");
  const generationConfig = existsSync(generation)
    ? readFileSync(generation, "utf8")
    : `${JSON.stringify({ bos_token_id: config.bos_token_id, eos_token_id: config.eos_token_id }, null, 2)}\n`;
  writeFileSync(path.join(out, "generation_config.json"), generationConfig);
  for (const name of JSON_FILES) {
    if (existsSync(path.join(modelDir, name))) copyFileSync(path.join(modelDir, name), path.join(out, name));
  }
  const model = onnx.ModelProto.decode(readFileSync(onnxPath));
  const data = relocateExternalData(model, path.dirname(onnxPath), onnxDir);
  writeFileSync(path.join(out, PEER_MODEL_FILE), onnx.ModelProto.encode(model).finish());
  return { folder: out, data };
}
