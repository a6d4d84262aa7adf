/**
 * Reads a PEFT LoRA adapter directory (`adapter_config.json`, `adapter_model.safetensors`).
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
  /** `base_model.model.<module>.lora_A.weight` / `lora_B.weight` → values and shape. */
  readonly tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;
}

function unsupported(cfg: Record<string, unknown>): string | undefined {
  if (cfg.peft_type !== "LORA") return `peft_type is ${JSON.stringify(cfg.peft_type)}, expected "LORA"`;
  if (cfg.use_dora) return "use_dora is true (DoRA is not supported)";
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
  if (problem) throw new AdapterError({ dir, problem, fix: "Use a plain LoRA adapter." });
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
    seed: 0,
  };
  return { dir, options: resolved, tensors };
}
