/**
 * Exports a trained backbone as a complete Hugging Face model directory: LoRA adapters merged into the weights
 * (or the fully fine-tuned weights), stored in the base checkpoint's dtype (or the one asked for), the base
 * config, tokenizer, chat template, generation config and a model card. The folder is written atomically and loads with `Backbone.load` and transformers'
 * `AutoModelForCausalLM.from_pretrained` without PEFT.
 */
import { copyFile, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { writeFileAtomic, writeJsonAtomic } from "../../util";
import type { Backbone } from "../backbone";
import { parseOptions } from "../errors";
import type { SafetensorsDtype } from "../safetensors";
import { writeSafetensors } from "../safetensors";
import { writeDirAtomic } from "./atomic-dir";
import { EXPORT_MARKER, ProtectedFoldersSchema } from "./export-target";
import { type MergePlan, planMergedWeights } from "./merge-weights";
import { ModelCardOptionsSchema, renderModelCard } from "./model-card";
import { modelCardFacts } from "./model-card-facts";
import { planShards, type Shard, ShardSizeSchema, shardIndex, shardSizeBytes } from "./shard-plan";

/** The tokenizer and chat template files of a model folder (copied into exports when present). */
export const TOKENIZER_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "added_tokens.json",
  "vocab.json",
  "merges.txt",
  "tokenizer.model",
  "chat_template.jinja",
  "chat_template.json",
] as const;

/** Files copied from the base model folder when present: tokenizer, chat template, generation config. */
export const COPIED_FILES = [...TOKENIZER_FILES, "generation_config.json"] as const;

/** The `dtype`s of {@link exportMergedModel}: the base checkpoint's (`source`), or one for every tensor. */
export const MERGED_DTYPES = ["source", "float32", "float16", "bfloat16"] as const;

/** safetensors dtype of each Hugging Face `torch_dtype` name, and back. */
const STORAGE: Readonly<Record<string, SafetensorsDtype>> = {
  float32: "F32",
  float16: "F16",
  bfloat16: "BF16",
};
const TORCH_NAME: Readonly<Record<string, string>> = { F32: "float32", F16: "float16", BF16: "bfloat16" };
const BYTES: Readonly<Record<string, number>> = { F32: 4, F16: 2, BF16: 2 };

/** Schema of {@link ExportMergedModelOptions}. */
export const ExportMergedModelOptionsSchema = z
  .object({
    /** The trained backbone (LoRA adapters are merged; full fine-tuning values are written as they are). */
    backbone: z.custom<Backbone>((v) => typeof v === "object" && v !== null && "modelDir" in v, "a Backbone"),
    /** The folder to create (or replace with `overwrite`). */
    dir: z.string().min(1),
    /** Replace a non-empty folder (default false: refuse). */
    overwrite: z.boolean().default(false),
    /** Largest safetensors file before sharding (bytes or e.g. `"5GB"`; default `"5GB"` as transformers). */
    maxShardSize: ShardSizeSchema.default("5GB"),
    /** A chat template to store in tokenizer_config.json instead of the base model's. */
    chatTemplate: z.string().min(1).optional(),
    /**
     * The dtype of the written weights: `source` (default) keeps each tensor's dtype in the base checkpoint
     * (a bfloat16 model stays bfloat16, a quantized base is written in the dtype it was loaded from), or
     * `float32`, `float16`, `bfloat16` for every tensor. The merge itself is computed in float32 and rounded once.
     */
    dtype: z.enum(MERGED_DTYPES).default("source"),
    /**
     * A quantized (int8/int4) base: merge the adapter into the `dequantized` weights the model was trained on
     * (default: the export computes what was trained, as Unsloth merges QLoRA), or into the checkpoint's
     * `original` float weights (as PEFT's `merge_and_unload` on a full-precision base). No effect otherwise.
     */
    quantizedBase: z.enum(["dequantized", "original"]).default("dequantized"),
    /** The model card (README.md) contents, or `false` for none. */
    modelCard: z.union([z.literal(false), ModelCardOptionsSchema]).default({}),
    /** More folders `dir` may not be, contain or lie inside (the base model folder is always protected). */
    protect: ProtectedFoldersSchema,
  })
  .strict();

/** Options of {@link exportMergedModel}. */
export type ExportMergedModelOptions = z.input<typeof ExportMergedModelOptionsSchema>;

/** What {@link exportMergedModel} wrote. */
export interface ExportedModel {
  /** The folder (absolute). */
  readonly dir: string;
  /** File names written, sorted. */
  readonly files: readonly string[];
  /** Modules whose LoRA adapters were merged. */
  readonly mergedModules: readonly string[];
  /** Number of parameters written. */
  readonly parameters: number;
}

type Parsed = z.output<typeof ExportMergedModelOptionsSchema>;

/**
 * Exports a backbone as a Hugging Face model directory with merged weights (W' = W + scale · B · A for each
 * adapted module, computed in float32 on the weights the backbone computes with: a quantized base's dequantized
 * `Ŵ`), `model.safetensors` in the base checkpoint's dtype or `dtype` (sharded with an index above
 * `maxShardSize`), `config.json` (its `torch_dtype` the written dtype), the tokenizer files, chat template,
 * generation config and a `README.md` model card.
 * Written into a temporary folder beside `dir` and renamed into place when complete, with a
 * `tunebook-export.json` marker; `overwrite` replaces only such a previous export.
 * @param options - `backbone`, `dir`, `overwrite`, `maxShardSize`, `chatTemplate`, `dtype`, `quantizedBase`,
 *   `modelCard`, `protect`
 * @returns the folder, its files, the merged modules and the parameter count
 * @throws {@link ExportError} when `dir` is a non-empty folder without `overwrite` or not a previous export; is,
 *   contains or lies inside the base model folder or a `protect` folder; is or contains the current directory;
 *   or an adapter does not fit the base weights
 * @throws FileWriteError when the destination is read-only, full, or blocked by a file
 * @throws ConfigError for invalid options
 * @example
 * ```ts
 * const backbone = await Backbone.load("models/tiny", { adapter: "runs/1/adapter" });
 * await exportMergedModel({
 *   backbone,
 *   dir: "/tmp/tiny-merged",
 *   overwrite: true,
 *   modelCard: { trainingConfig: { epochs: 3, learningRate: 2e-4 }, metrics: { perplexity: 8.2 } },
 * });
 * ```
 */
export async function exportMergedModel(options: ExportMergedModelOptions): Promise<ExportedModel> {
  const opts = parseOptions(ExportMergedModelOptionsSchema, options, "exportMergedModel options");
  const target = path.resolve(opts.dir);
  const plan = planMergedWeights(opts.backbone, target, opts.quantizedBase);
  const dtypes = new Map(plan.tensors.map((t) => [t.name, STORAGE[opts.dtype] ?? t.dtype]));
  const sizes = plan.tensors.map((t) => ({
    name: t.name,
    bytes: (BYTES[dtypes.get(t.name) ?? "F32"] ?? 4) * count(t.shape),
  }));
  const shards = planShards(sizes, shardSizeBytes(opts.maxShardSize));
  const parameters = plan.tensors.reduce((sum, t) => sum + count(t.shape), 0);
  let files: string[] = [];
  await writeDirAtomic({
    dir: target,
    format: "merged",
    overwrite: opts.overwrite,
    protect: [{ dir: opts.backbone.modelDir.dir, what: "the base model folder" }, ...opts.protect],
    write: async (tmp) => {
      files = [
        ...(await writeWeights(tmp, plan, shards, dtypes)),
        ...(await writeConfig(tmp, opts.backbone, plan, dtypes)),
        ...(await copyTokenizerFiles(tmp, opts.backbone.modelDir.dir, opts.chatTemplate)),
      ];
      if (opts.modelCard !== false) {
        await writeFileAtomic(path.join(tmp, "README.md"), card(opts, plan, parameters, target));
        files.push("README.md");
      }
    },
  });
  return { dir: target, files: [...files, EXPORT_MARKER].sort(), mergedModules: plan.modules, parameters };
}

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

async function writeWeights(
  tmp: string,
  plan: MergePlan,
  shards: Shard[],
  dtypes: ReadonlyMap<string, SafetensorsDtype>,
): Promise<string[]> {
  const byName = new Map(plan.tensors.map((t) => [t.name, t]));
  for (const shard of shards) {
    const tensors: Record<
      string,
      { shape: readonly number[]; data: Float32Array; dtype?: SafetensorsDtype }
    > = {};
    for (const name of shard.names) {
      const t = byName.get(name);
      if (t) tensors[name] = { shape: t.shape, data: t.values(), dtype: dtypes.get(name) };
    }
    await writeSafetensors({ path: path.join(tmp, shard.file), tensors, metadata: { format: "pt" } });
  }
  const files = shards.map((s) => s.file);
  if (shards.length > 1) {
    await writeJsonAtomic(path.join(tmp, "model.safetensors.index.json"), shardIndex(shards));
    files.push("model.safetensors.index.json");
  }
  return files;
}

function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The `torch_dtype` of the written weights: the dtype holding the most parameters. */
function torchDtype(plan: MergePlan, dtypes: ReadonlyMap<string, SafetensorsDtype>): string {
  const params = new Map<string, number>();
  for (const t of plan.tensors) {
    const d = dtypes.get(t.name) ?? "F32";
    params.set(d, (params.get(d) ?? 0) + count(t.shape));
  }
  const [top] = [...params.entries()].sort((a, b) => b[1] - a[1]);
  return TORCH_NAME[top?.[0] ?? "F32"] ?? "float32";
}

async function writeConfig(
  tmp: string,
  backbone: Backbone,
  plan: MergePlan,
  dtypes: ReadonlyMap<string, SafetensorsDtype>,
): Promise<string[]> {
  const dtype = torchDtype(plan, dtypes);
  const config: Record<string, unknown> = { ...backbone.modelDir.config, torch_dtype: dtype };
  if ("dtype" in config) config.dtype = dtype; // transformers ≥ 4.56 writes `dtype`
  if (plan.untied) config.tie_word_embeddings = false;
  await writeJsonAtomic(path.join(tmp, "config.json"), sortKeys(config));
  return ["config.json"];
}

async function copyTokenizerFiles(
  tmp: string,
  base: string,
  chatTemplate: string | undefined,
): Promise<string[]> {
  const copied: string[] = [];
  for (const file of COPIED_FILES) {
    // A new chat template goes into tokenizer_config.json; the base's separate template files would win over it.
    if (chatTemplate && (file === "chat_template.jinja" || file === "chat_template.json")) continue;
    const from = path.join(base, file);
    if (file === "tokenizer_config.json" && chatTemplate) {
      const text = await readFile(from, "utf8").catch(() => "{}");
      const config = { ...(JSON.parse(text) as Record<string, unknown>), chat_template: chatTemplate };
      await writeJsonAtomic(path.join(tmp, file), config);
      copied.push(file);
      continue;
    }
    const ok = await copyFile(from, path.join(tmp, file)).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") return false;
        throw e;
      },
    );
    if (ok) copied.push(file);
  }
  return copied;
}

function card(opts: Parsed, plan: MergePlan, parameters: number, target: string): string {
  const cardOptions = opts.modelCard === false ? ModelCardOptionsSchema.parse({}) : opts.modelCard;
  const facts = modelCardFacts(opts.backbone, {
    name: path.basename(target),
    baseModel: cardOptions.baseModel,
    mergedModules: plan.modules,
    parameters,
  });
  return renderModelCard(cardOptions, facts);
}
