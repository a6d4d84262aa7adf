/**
 * Reads a PEFT LoRA adapter directory (`adapter_config.json`, `adapter_model.safetensors`), plain or DoRA
 * (`use_dora: true`, with a `lora_magnitude_vector` per adapted module).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { SafetensorsFile } from "../safetensors";
import { AdapterError } from "./adapter-error";
import type { ResolvedLoraOptions } from "./lora-options";

/** A loaded adapter: its settings and its tensors by PEFT name. */
export interface LoraAdapter {
  /** The adapter directory (absolute). */
  readonly dir: string;
  /** Settings read from `adapter_config.json`. */
  readonly options: ResolvedLoraOptions;
  /** `base_model.model.<module>.lora_A.weight` / `lora_B.weight` (/ `lora_magnitude_vector`) → values and shape. */
  readonly tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;
}

function unsupported(cfg: Record<string, unknown>): string | undefined {
  if (cfg.peft_type !== "LORA") return `peft_type is ${JSON.stringify(cfg.peft_type)}, expected "LORA"`;
  for (const key of ["rank_pattern", "alpha_pattern"]) {
    const v = cfg[key];
    if (v && typeof v === "object" && Object.keys(v).length) return `${key} is set (not supported)`;
  }
  const t = cfg.target_modules;
  if (typeof t === "string" && t !== "all-linear") return `target_modules is a regex "${t}" (not supported)`;
  if (typeof cfg.r !== "number" || typeof cfg.lora_alpha !== "number") return "r or lora_alpha is missing";
  return undefined;
}

/**
 * Loads a PEFT LoRA adapter.
 * @param options - `dir`: the adapter directory
 * @returns the settings and tensors
 * @throws {@link AdapterError} when a file is missing or the adapter uses unsupported PEFT features
 * @throws SafetensorsError when the weights file is damaged
 * @example
 * ```ts
 * const adapter = await loadLoraAdapter({ dir: "runs/1/adapter" });
 * console.log(adapter.options.r, adapter.tensors.size);
 * ```
 */
export async function loadLoraAdapter(options: { dir: string }): Promise<LoraAdapter> {
  const dir = path.resolve(options.dir);
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(await readFile(path.join(dir, "adapter_config.json"), "utf8"));
  } catch (cause) {
    const fix =
      "Pass the folder PEFT's save_pretrained wrote (adapter_config.json + adapter_model.safetensors).";
    throw new AdapterError({ dir, problem: "cannot read adapter_config.json", fix }, { cause });
  }
  const problem = unsupported(cfg);
  if (problem) throw new AdapterError({ dir, problem, fix: "Use a LoRA or DoRA adapter." });
  const file = await SafetensorsFile.open({ path: path.join(dir, "adapter_model.safetensors") });
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const ref of file.tensors)
    tensors.set(ref.name, { shape: ref.shape, data: await file.readFloat32(ref.name) });
  const targets = cfg.target_modules as string[] | "all-linear";
  const resolved: ResolvedLoraOptions = {
    r: cfg.r as number,
    alpha: cfg.lora_alpha as number,
    dropout: typeof cfg.lora_dropout === "number" ? cfg.lora_dropout : 0,
    targetModules: targets === "all-linear" ? targets : ([...targets] as [string, ...string[]]),
    useRslora: cfg.use_rslora === true,
    useDora: cfg.use_dora === true,
    seed: 0,
  };
  return { dir, options: resolved, tensors };
}

/**
 * The adapter with its tensor names mapped through a config's `tensorAliases`, read backwards: a PEFT adapter
 * trained on Gemma 3's image-text model (`base_model.model.language_model.model.layers.0…`, or
 * `base_model.model.model.language_model.layers.0…` with transformers ≥ 4.52) is named as the text tower's graph
 * (`base_model.model.model.layers.0…`). Names matching no alias are kept.
 * @param adapter - the loaded adapter
 * @param aliases - `[graph prefix, stored prefix]` pairs (`DecoderConfig.tensorAliases`)
 * @returns an adapter with renamed tensors (the same object when nothing is renamed)
 * @example
 * ```ts
 * const adapter = withTensorAliases(await loadLoraAdapter({ dir }), config.tensorAliases ?? []);
 * ```
 */
export function withTensorAliases(
  adapter: LoraAdapter,
  aliases: readonly (readonly [string, string])[],
): LoraAdapter {
  const root = "base_model.model.";
  let renamed = false;
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, t] of adapter.tensors) {
    const module = name.startsWith(root) ? name.slice(root.length) : undefined;
    const alias = module === undefined ? undefined : aliases.find(([, stored]) => module.startsWith(stored));
    const graphName = alias && module ? `${root}${alias[0]}${module.slice(alias[1].length)}` : name;
    renamed ||= graphName !== name;
    tensors.set(graphName, t);
  }
  return renamed ? { ...adapter, tensors } : adapter;
}
