/**
 * Saves LoRA adapters as PEFT's `save_pretrained` does: `adapter_model.safetensors` (float32
 * `base_model.model.<module>.lora_A.weight` `[r, in]` and `lora_B.weight` `[out, r]`, with DoRA also
 * `base_model.model.<module>.lora_magnitude_vector` `[out]` as PEFT ≥ 0.10 names it; metadata `format: pt`)
 * and `adapter_config.json` (the `LoraConfig` fields, keys sorted), so the folder loads in Python's
 * `PeftModel.from_pretrained` and in `Backbone.load(base, { adapter })`.
 */
import path from "node:path";
import { z } from "zod";
import { writeFileAtomic, writeJsonAtomic } from "../../util";
import type { Backbone } from "../backbone";
import { parseOptions } from "../errors";
import { writeDirAtomic } from "../export/atomic-dir";
import { ExportError } from "../export/export-error";
import { ProtectedFoldersSchema } from "../export/export-target";
import { writeSafetensors } from "../safetensors";
import type { LoraInjector } from "./lora-injector";
import type { ResolvedLoraOptions } from "./lora-options";

const PEFT_NAME = /^base_model\.model\.(.+)\.(?:lora_([AB])\.weight|lora_magnitude_vector)$/;

const Options = z
  .object({
    /** The adapter folder to create (or replace with `overwrite`). */
    dir: z.string().min(1),
    /** A backbone with LoRA (its injector and base model folder are used). */
    backbone: z
      .custom<Backbone>((v) => typeof v === "object" && v !== null && "modelDir" in v, "a Backbone")
      .optional(),
    /** The LoRA injector to save, when no backbone is given. */
    injector: z
      .custom<LoraInjector>(
        (v) => typeof v === "object" && v !== null && typeof (v as LoraInjector).tensors === "function",
        "a LoraInjector",
      )
      .optional(),
    /** `base_model_name_or_path` (default: the backbone's model folder; required with `injector`). */
    baseModel: z.string().min(1).optional(),
    /** Replace a previous export in `dir` (default false). */
    overwrite: z.boolean().default(false),
    /** More folders `dir` may not be, contain or lie inside (the backbone's base model folder always is). */
    protect: ProtectedFoldersSchema,
    /** A model card to write as `README.md` beside the adapter (e.g. from `renderModelCard`); default none. */
    readme: z.string().min(1).optional(),
  })
  .strict()
  .refine((o) => (o.backbone ? !o.injector : o.injector && o.baseModel), {
    message: "pass either `backbone`, or `injector` together with `baseModel`",
  });

/** Options of {@link saveLoraAdapter}. */
export type SaveLoraAdapterOptions = z.input<typeof Options>;

/** A PEFT `adapter_config.json` for a LoRA adapter (the fields PEFT ≥ 0.10 writes and reads). */
export interface PeftLoraJson {
  alpha_pattern: Record<string, number>;
  auto_mapping: null;
  base_model_name_or_path: string | null;
  bias: "none";
  fan_in_fan_out: false;
  inference_mode: boolean;
  init_lora_weights: true;
  layer_replication: null;
  layers_pattern: null;
  layers_to_transform: null;
  loftq_config: Record<string, never>;
  lora_alpha: number;
  lora_dropout: number;
  megatron_config: null;
  megatron_core: "megatron.core";
  modules_to_save: null;
  peft_type: "LORA";
  r: number;
  rank_pattern: Record<string, number>;
  revision: null;
  target_modules: string[] | "all-linear";
  task_type: "CAUSAL_LM";
  use_dora: boolean;
  use_rslora: boolean;
}

/**
 * The `adapter_config.json` object PEFT writes for LoRA settings (same keys as `LoraConfig.to_dict()`, in
 * PEFT's order); `target_modules` is written as given. The one writer of this file's contents.
 * @param o - rank, alpha, dropout, rsLoRA, DoRA (default false), target modules and `base_model_name_or_path`
 * @returns the config object
 * @example
 * ```ts
 * peftLoraJson({ r: 8, alpha: 16, dropout: 0, useRslora: false, targetModules: ["q_proj"], baseModel: null });
 * ```
 */
export function peftLoraJson(o: {
  r: number;
  alpha: number;
  dropout: number;
  useRslora: boolean;
  useDora?: boolean;
  targetModules: string[] | "all-linear";
  baseModel: string | null;
}): PeftLoraJson {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: o.baseModel,
    bias: "none",
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: o.alpha,
    lora_dropout: o.dropout,
    megatron_config: null,
    megatron_core: "megatron.core",
    modules_to_save: null,
    peft_type: "LORA",
    r: o.r,
    rank_pattern: {},
    revision: null,
    target_modules: o.targetModules,
    task_type: "CAUSAL_LM",
    use_dora: o.useDora ?? false,
    use_rslora: o.useRslora,
  };
}

/**
 * The `adapter_config.json` of a saved adapter: as {@link peftLoraJson}, with the target modules sorted and,
 * for `"all-linear"`, expanded to the names of the modules adapted (as PEFT does before saving).
 * @param options - the LoRA settings, the adapted module paths and `baseModel`
 * @returns the config object
 * @example
 * ```ts
 * const cfg = peftAdapterConfig({ lora: injector.options, modules: ["model.layers.0.self_attn.q_proj"], baseModel: "m" });
 * cfg.target_modules; // ["q_proj"]
 * ```
 */
export function peftAdapterConfig(options: {
  lora: ResolvedLoraOptions;
  modules: readonly string[];
  baseModel: string;
}): PeftLoraJson {
  const { lora } = options;
  const names =
    lora.targetModules === "all-linear"
      ? options.modules.map((m) => m.slice(m.lastIndexOf(".") + 1))
      : lora.targetModules;
  return peftLoraJson({ ...lora, targetModules: [...new Set(names)].sort(), baseModel: options.baseModel });
}

/**
 * The adapter tensors of an injector with their shapes (DoRA magnitudes `[out]`), and the adapted module paths.
 * @param injector - the LoRA injector
 * @returns PEFT name → `{ shape, data }`, and the modules
 * @example
 * ```ts
 * const { tensors, modules } = adapterTensors(backbone.lora);
 * ```
 */
export function adapterTensors(injector: LoraInjector): {
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
  modules: string[];
} {
  const r = injector.options.r;
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  const modules = new Set<string>();
  for (const [name, data] of injector.tensors()) {
    const match = PEFT_NAME.exec(name);
    if (!match) continue;
    modules.add(match[1]);
    const shape =
      match[2] === "A" ? [r, data.length / r] : match[2] === "B" ? [data.length / r, r] : [data.length];
    tensors[name] = { shape, data: Float32Array.from(data) };
  }
  return { tensors, modules: [...modules].sort() };
}

/**
 * Saves a LoRA adapter in PEFT format, atomically (a temporary folder beside `dir`, renamed when complete).
 * @param options - `dir`; `backbone` (with LoRA), or `injector` + `baseModel`; `baseModel` (the
 *   `base_model_name_or_path` to record, e.g. a hub id); `overwrite`; `protect` (more folders `dir` must keep clear of)
 * @returns the absolute path of the adapter folder
 * @throws {@link ExportError} when the backbone has no LoRA, the injector holds no tensors, `dir` is a
 *   non-empty folder without `overwrite` or not a previous export, or `dir` is, contains or lies inside the base
 *   model folder or a `protect` folder, or is or contains the current directory
 * @throws FileWriteError when the destination is read-only, full, or blocked by a file
 * @throws ConfigError for invalid options
 * @example
 * ```ts
 * const backbone = await Backbone.load("models/tiny", { lora: { r: 8, targetModules: ["q_proj", "v_proj"] } });
 * await saveLoraAdapter({ dir: "/tmp/my-adapter", backbone, overwrite: true });
 * ```
 */
export async function saveLoraAdapter(options: SaveLoraAdapterOptions): Promise<string> {
  const opts = parseOptions(Options, options, "saveLoraAdapter options");
  const target = path.resolve(opts.dir);
  const injector = opts.backbone ? opts.backbone.lora : opts.injector;
  if (!injector) {
    throw new ExportError({
      target,
      problem: "the backbone has no LoRA adapters to save",
      fix: "Load it with `lora` or `adapter` (Backbone.load(dir, { lora: {...} })), or use exportMergedModel for full fine-tuning.",
    });
  }
  const { tensors, modules } = adapterTensors(injector);
  if (modules.length === 0) {
    throw new ExportError({
      target,
      problem: `no module matched the LoRA targets ${JSON.stringify(injector.options.targetModules)}`,
      fix: "Check targetModules against the model's linear layers (q_proj, v_proj, …).",
    });
  }
  const baseModel = opts.baseModel ?? (opts.backbone as Backbone).modelDir.dir;
  const config = peftAdapterConfig({ lora: injector.options, modules, baseModel });
  const base = opts.backbone ? [{ dir: opts.backbone.modelDir.dir, what: "the base model folder" }] : [];
  return writeDirAtomic({
    dir: target,
    format: "peft",
    overwrite: opts.overwrite,
    protect: [...base, ...opts.protect],
    write: async (tmp) => {
      await writeSafetensors({
        path: path.join(tmp, "adapter_model.safetensors"),
        tensors,
        metadata: { format: "pt" },
      });
      await writeJsonAtomic(path.join(tmp, "adapter_config.json"), config);
      if (opts.readme) await writeFileAtomic(path.join(tmp, "README.md"), opts.readme);
    },
  });
}
