import { stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ModelDirError, parseOptions } from "../errors";
import { loadTokenizer, readJsonFile, type Tokenizer } from "../tokenizer";
import { WeightIndex } from "./weight-index";

const Options = z
  .object({
    dir: z.string().min(1),
    tokenizer: z.boolean().default(true),
  })
  .strict();

/** Options of {@link loadModelDir}. */
export type LoadModelDirOptions = z.input<typeof Options>;

/** A loaded Hugging Face model directory: configuration, weight index and tokenizer. Weights are not read. */
export interface ModelDir {
  /** Absolute path of the directory. */
  readonly dir: string;
  /** `config.json` as stored (Hugging Face key names). */
  readonly config: Readonly<Record<string, unknown>>;
  /** `config.architectures`, e.g. `["LlamaForCausalLM"]` (empty when absent). */
  readonly architectures: readonly string[];
  /** `config.model_type`, e.g. `"llama"`, `"qwen2"`, `"gemma"`. */
  readonly modelType: string;
  /** Every weight tensor, located in `model.safetensors` or its shards. */
  readonly weights: WeightIndex;
  /** The tokenizer, or undefined when loaded with `tokenizer: false`. */
  readonly tokenizer: Tokenizer | undefined;
  /** `generation_config.json` as stored (`{}` when absent). */
  readonly generationConfig: Readonly<Record<string, unknown>>;
}

/**
 * Loads a Hugging Face model directory: `config.json`, the safetensors weights (single file or shards;
 * validated, not read), the tokenizer with its chat template, and `generation_config.json`.
 *
 * @param options - `dir`, and `tokenizer` (default true; false skips it, e.g. for weight-only tools)
 * @returns the model directory
 * @throws {@link ModelDirError} naming the missing or bad file and the fix (no config.json, no model_type,
 * `.bin`-only weights, a shard missing, no tokenizer.json)
 * @throws {@link SafetensorsError} when a weight file is damaged
 * @example
 * ```ts
 * const model = await loadModelDir({ dir: "models/tiny" });
 * console.log(model.modelType, model.weights.names().length, model.tokenizer?.eosTokenIds);
 * ```
 */
export async function loadModelDir(options: LoadModelDirOptions): Promise<ModelDir> {
  const opts = parseOptions(Options, options, "loadModelDir options");
  const dir = path.resolve(opts.dir);
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    throw new ModelDirError({
      dir,
      file: ".",
      problem: "not a directory",
      fix: "Pass a local model directory, or use resolveModel({ model: 'org/name' }) to download one.",
    });
  }
  const config = (await readJsonFile(dir, "config.json", true)) as Record<string, unknown>;
  const modelType = config.model_type;
  if (typeof modelType !== "string" || modelType === "") {
    throw new ModelDirError({
      dir,
      file: "config.json",
      problem: "no model_type",
      fix: "Use the config.json saved by transformers for this model.",
    });
  }
  const architectures = Array.isArray(config.architectures)
    ? config.architectures.filter((a): a is string => typeof a === "string")
    : [];
  const weights = await WeightIndex.open({ dir });
  const tokenizer = opts.tokenizer ? await loadTokenizer({ dir }) : undefined;
  const generationConfig = (await readJsonFile(dir, "generation_config.json", false)) ?? {};
  return { dir, config, architectures, modelType, weights, tokenizer, generationConfig };
}
