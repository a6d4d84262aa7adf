/**
 * Exports a trained backbone as an ONNX model folder for transformers.js and onnxruntime (node, web): the merged
 * weights (LoRA adapters merged as in {@link exportMergedModel}) in our KV-cache decoder graph, with the input
 * and output names optimum gives them (`input_ids`, `attention_mask`, `position_ids`,
 * `past_key_values.{i}.key|value` → `logits` `[B, T, V]` for every new position, `present.{i}.key|value`),
 * in fp32 and the quantized variants asked for. The folder is written atomically with its export marker.
 */
import { rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { onnx } from "onnx-proto";
import { z } from "zod";
import { emitOnnx, type Tensor } from "../../engine";
import { writeFileAtomic } from "../../util";
import { normalizeConfig } from "../arch";
import type { Backbone } from "../backbone";
import { buildDecoderGraph, WeightSource } from "../blocks";
import { parseOptions } from "../errors";
import { loadModelDir } from "../hf-dir";
import { writeDirAtomic } from "./atomic-dir";
import { ExportError } from "./export-error";
import { exportMergedModel } from "./export-merged-model";
import { EXPORT_MARKER, ProtectedFoldersSchema } from "./export-target";
import { ModelCardOptionsSchema, renderModelCard } from "./model-card";
import { modelCardFacts } from "./model-card-facts";
import { saveWithExternalData } from "./onnx-external-data";
import { quantizeOnnxModel } from "./quantize-onnx";
import { ONNX_DTYPES, ONNX_FILES, type OnnxDtype, writeTransformersJsFiles } from "./transformers-js-folder";

/**
 * The `model_type`s transformers.js (4.x) runs as decoder-only causal LMs with this graph's inputs: every family
 * tunebook builds. A `gemma3` (image-text) checkpoint is exported as its text tower (`gemma3_text`).
 */
export const ONNX_MODEL_TYPES: readonly string[] = [
  "gemma",
  "gemma2",
  "gemma3",
  "gemma3_text",
  "llama",
  "mistral",
  "olmo2",
  "phi3",
  "qwen2",
  "qwen3",
  "smollm3",
];

/** Schema of {@link ExportOnnxOptions}. */
export const ExportOnnxOptionsSchema = z
  .object({
    /** The trained backbone (LoRA adapters are merged into the weights). */
    backbone: z.custom<Backbone>((v) => typeof v === "object" && v !== null && "modelDir" in v, "a Backbone"),
    /** The folder to create (or replace with `overwrite`). */
    dir: z.string().min(1),
    /** Replace a previous export in `dir` (default false: refuse a non-empty folder). */
    overwrite: z.boolean().default(false),
    /**
     * The variants to write, by transformers.js `dtype` (default all): `fp32` (`onnx/model.onnx`), `q8`
     * (`onnx/model_quantized.onnx`, int8 weights) and `q4` (`onnx/model_q4.onnx`, 4-bit `MatMulNBits`). The
     * first is the one transformers.js loads when no `dtype` is given.
     */
    dtypes: z
      .array(z.enum(ONNX_DTYPES))
      .min(1)
      .default([...ONNX_DTYPES]),
    /** A chat template to store in tokenizer_config.json instead of the base model's. */
    chatTemplate: z.string().min(1).optional(),
    /** The model card (README.md) contents, or `false` for none. */
    modelCard: z.union([z.literal(false), ModelCardOptionsSchema]).default({}),
    /** More folders `dir` may not be, contain or lie inside (the base model folder is always protected). */
    protect: ProtectedFoldersSchema,
  })
  .strict();

/** Options of {@link exportOnnx}. */
export type ExportOnnxOptions = z.input<typeof ExportOnnxOptionsSchema>;

/** What {@link exportOnnx} wrote. */
export interface ExportedOnnxModel {
  /** The folder (absolute). */
  readonly dir: string;
  /** File names written (relative, `/`-separated), sorted. */
  readonly files: readonly string[];
  /** The ONNX file of each `dtype` written, relative to `dir`. */
  readonly models: Partial<Readonly<Record<OnnxDtype, string>>>;
  /** Modules whose LoRA adapters were merged. */
  readonly mergedModules: readonly string[];
  /** Number of parameters. */
  readonly parameters: number;
}

function assertExpressible(backbone: Backbone, target: string): void {
  const type = backbone.modelDir.modelType;
  if (ONNX_MODEL_TYPES.includes(type)) return;
  throw new ExportError({
    target,
    problem: `model_type '${type}' has no ONNX export: transformers.js runs only the families whose graph tunebook writes (${ONNX_MODEL_TYPES.join(", ")})`,
    fix: "Export it with --format merged (a Hugging Face folder) and convert it with optimum instead.",
  });
}

/** Builds and emits the fp32 KV-cache decoder of the merged folder into `build`, returning its model. */
async function emitDecoder(mergedDir: string, build: string): Promise<onnx.ModelProto> {
  const modelDir = await loadModelDir({ dir: mergedDir, tokenizer: false });
  const config = normalizeConfig(modelDir.config, modelDir.dir);
  const weights = new WeightSource(modelDir.weights, build, { tensorAliases: config.tensorAliases });
  try {
    const built = buildDecoderGraph({ config, weights, kvCache: true });
    const outputs: Record<string, Tensor> = { logits: built.logits };
    for (const [i, kv] of (built.present ?? []).entries()) {
      outputs[`present.${i}.key`] = kv.key;
      outputs[`present.${i}.value`] = kv.value;
    }
    const emitted = emitOnnx(built.graph, outputs, {
      modelPath: path.join(build, "model.onnx"),
      name: "main",
    });
    return onnx.ModelProto.decode(emitted.bytes);
  } finally {
    weights.close();
  }
}

/**
 * Exports a backbone as a transformers.js / onnxruntime model folder: `config.json` (with
 * `transformers.js_config`), `generation_config.json`, the tokenizer files, `README.md`, and in `onnx/` one
 * decoder per `dtype` (`model.onnx`, `model_quantized.onnx`, `model_q4.onnx`) with its weights in
 * `<file>_data`. LoRA adapters are merged first (W' = W + scale · B · A); the graph is the one tunebook
 * generates with, KV cache included, giving logits for every new position.
 * @param options - `backbone`, `dir`, `overwrite`, `dtypes`, `chatTemplate`, `modelCard`, `protect`
 * @returns the folder, its files, the ONNX file per `dtype`, the merged modules and the parameter count
 * @throws {@link ExportError} when the family has no ONNX export, `dir` is a non-empty folder without
 *   `overwrite` or not a previous export, or is, contains or lies inside the base model folder, a `protect`
 *   folder or the current directory
 * @throws FileWriteError when the destination is read-only, full, or blocked by a file
 * @throws ConfigError for invalid options (e.g. an unknown `dtype`)
 * @example
 * ```ts
 * const backbone = await Backbone.load("models/tiny", { adapter: "runs/1/adapter" });
 * await exportOnnx({ backbone, dir: "/tmp/tiny-onnx", dtypes: ["fp32", "q4"] });
 * // transformers.js: await pipeline("text-generation", "/tmp/tiny-onnx", { dtype: "q4" })
 * ```
 */
export async function exportOnnx(options: ExportOnnxOptions): Promise<ExportedOnnxModel> {
  const opts = parseOptions(ExportOnnxOptionsSchema, options, "exportOnnx options");
  const target = path.resolve(opts.dir);
  assertExpressible(opts.backbone, target);
  const dtypes = [...new Set(opts.dtypes)];
  let result: Omit<ExportedOnnxModel, "dir"> | undefined;
  await writeDirAtomic({
    dir: target,
    format: "onnx",
    overwrite: opts.overwrite,
    protect: [{ dir: opts.backbone.modelDir.dir, what: "the base model folder" }, ...opts.protect],
    write: async (tmp) => {
      const merged = path.join(tmp, ".merged");
      const build = path.join(tmp, ".build");
      try {
        const exported = await exportMergedModel({
          backbone: opts.backbone,
          dir: merged,
          chatTemplate: opts.chatTemplate,
          // The fp32 graph holds the float32 merge itself, not one rounded to a 16-bit base's dtype.
          dtype: "float32",
          modelCard: false,
        });
        await mkdir(build);
        await mkdir(path.join(tmp, "onnx"));
        const model = await emitDecoder(merged, build);
        const files = writeTransformersJsFiles(merged, tmp, dtypes[0]);
        const models: Partial<Record<OnnxDtype, string>> = {};
        for (const dtype of dtypes) {
          const variant = dtype === "fp32" ? model : quantizeOnnxModel(model, build, dtype).model;
          const file = ONNX_FILES[dtype];
          // The fp32 model is written last: saving rewrites its initializers' locations.
          if (dtype !== "fp32") saveWithExternalData(variant, build, path.join(tmp, file));
          models[dtype] = file.split(path.sep).join("/");
        }
        if (dtypes.includes("fp32")) saveWithExternalData(model, build, path.join(tmp, ONNX_FILES.fp32));
        for (const file of Object.values(models)) files.push(file, `${file}_data`);
        if (opts.modelCard !== false) {
          const facts = modelCardFacts(opts.backbone, {
            name: path.basename(target),
            baseModel: opts.modelCard.baseModel,
            mergedModules: exported.mergedModules,
            parameters: exported.parameters,
            format: "onnx",
          });
          await writeFileAtomic(path.join(tmp, "README.md"), renderModelCard(opts.modelCard, facts));
          files.push("README.md");
        }
        result = {
          files: [...files, EXPORT_MARKER].sort(),
          models,
          mergedModules: exported.mergedModules,
          parameters: exported.parameters,
        };
      } finally {
        rmSync(merged, { recursive: true, force: true });
        rmSync(build, { recursive: true, force: true });
      }
    },
  });
  if (!result) throw new Error("exportOnnx: the export wrote nothing");
  return { dir: target, ...result };
}
