/**
 * Warm start (`architecture.pretrained_weights`): the trained values a new experiment starts from, read from
 * another experiment's folder, one of its checkpoints, or a PEFT adapter folder, and the LoRA settings those
 * values were trained with. LoRA values only compute what they were trained to compute with the same rank,
 * alpha, rsLoRA, DoRA and target modules, so the experiment takes those settings from the source where it left them
 * at their defaults, and refuses to start where it set them to something else.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { loadLoraAdapter } from "../../models";
import { type ExperimentConfig, loadConfigFile, loraSchema } from "../config";
import { readCheckpointParams } from "../trainer";
import { ExperimentSetupError } from "./experiment-setup-error";

/** The LoRA settings that decide what trained LoRA values compute. */
export type WarmStartLora = Pick<
  ExperimentConfig["lora"],
  "r" | "alpha" | "useRslora" | "useDora" | "targetModules"
>;

/** What a warm start begins from. */
export interface WarmStart {
  /** Tensor name (PEFT name for LoRA, Hugging Face name for backbone weights) → values. */
  values: Map<string, Float32Array>;
  /** The LoRA settings the values were trained with; absent when the source trained the full model. */
  lora?: WarmStartLora;
  /** The source, as messages name it (e.g. `the adapter /work/adapter`). */
  source: string;
}

/** Which checkpoint of an experiment folder a warm start uses: the best, else the last. */
function experimentCheckpoint(dir: string): string | undefined {
  for (const which of ["best", "last"]) {
    const candidate = path.join(dir, "checkpoints", which);
    if (existsSync(path.join(candidate, "trainer-state.json"))) return candidate;
  }
  return undefined;
}

/** The LoRA settings recorded in the config.yaml of the experiment a checkpoint belongs to. */
function experimentLora(checkpoint: string): WarmStartLora | undefined {
  const file = path.join(path.dirname(path.dirname(checkpoint)), "config.yaml");
  if (path.basename(path.dirname(checkpoint)) !== "checkpoints" || !existsSync(file)) return undefined;
  const { lora } = loadConfigFile(file);
  return lora.enabled ? pick(lora) : undefined;
}

const pick = (l: WarmStartLora): WarmStartLora => ({
  r: l.r,
  alpha: l.alpha,
  useRslora: l.useRslora,
  useDora: l.useDora,
  targetModules: l.targetModules,
});

/**
 * Reads the values to start training from and the LoRA settings they were trained with.
 * @param source - an experiment folder (its best checkpoint, else its last), a checkpoint folder
 *   (`trainer-state.json` + `trainable.safetensors`), or a PEFT LoRA adapter folder (`adapter_config.json`)
 * @returns the values, for `Backbone.updateParameters`, and the source's LoRA settings (from
 *   `adapter_config.json`, or the experiment's `config.yaml` when the checkpoint lies in an experiment folder)
 * @throws ExperimentSetupError when the folder is none of those; CheckpointError / AdapterError / ConfigError
 *   when damaged
 * @example
 * ```ts
 * const warm = await readWarmStart("experiments/capitals-20261123-101500");
 * ```
 */
export async function readWarmStart(source: string): Promise<WarmStart> {
  const dir = path.resolve(source);
  if (existsSync(path.join(dir, "adapter_config.json"))) {
    const adapter = await loadLoraAdapter({ dir });
    return {
      values: new Map([...adapter.tensors].map(([name, t]) => [name, t.data])),
      lora: pick(adapter.options),
      source: `the adapter ${dir}`,
    };
  }
  const checkpoint = existsSync(path.join(dir, "trainer-state.json")) ? dir : experimentCheckpoint(dir);
  if (!checkpoint) {
    throw new ExperimentSetupError(
      `architecture.pretrained_weights "${source}" is not an experiment folder with a checkpoint, a checkpoint ` +
        `folder (trainer-state.json) or a PEFT adapter folder (adapter_config.json)${existsSync(dir) ? "" : " (it does not exist)"}`,
      "Point it at a finished experiment (e.g. experiments/capitals-20261123-101500), one of its " +
        "checkpoints/<best|last> folders, or an exported adapter.",
    );
  }
  const { params } = await readCheckpointParams(checkpoint);
  return {
    values: new Map(Object.entries(params)),
    lora: experimentLora(checkpoint),
    source: `the checkpoint ${checkpoint}`,
  };
}

const SNAKE: Record<keyof WarmStartLora, string> = {
  r: "r",
  alpha: "alpha",
  useRslora: "use_rslora",
  useDora: "use_dora",
  targetModules: "target_modules",
};

/** Target modules compared as sets ("all-linear" only equals itself). */
function sameSetting(key: keyof WarmStartLora, a: unknown, b: unknown): boolean {
  if (key !== "targetModules" || typeof a === "string" || typeof b === "string") return a === b;
  const norm = (v: unknown) => JSON.stringify([...new Set(v as string[])].sort());
  return norm(a) === norm(b);
}

/**
 * The experiment's config with the LoRA settings of its warm start: a setting at its default is taken from the
 * source (and so recorded in the experiment's config.yaml); a setting the experiment gives another value is
 * refused, naming both.
 * @param config - the experiment's resolved config
 * @param warm - the warm start from {@link readWarmStart}
 * @returns the config to train with, and the settings taken from the source (`lora.alpha: 16 → 8`)
 * @throws ExperimentSetupError naming the setting, the experiment's value and the source's
 * @example
 * ```ts
 * const { config: resolved } = withWarmStartLora(config, await readWarmStart(config.architecture.pretrainedWeights));
 * ```
 */
export function withWarmStartLora<C extends ExperimentConfig>(
  config: C,
  warm: WarmStart,
): { config: C; adopted: string[] } {
  const from = warm.lora;
  if (!from || !config.lora.enabled) return { config, adopted: [] };
  const defaults = loraSchema.parse({});
  const lora = { ...config.lora };
  const adopted: string[] = [];
  const conflicts: string[] = [];
  for (const key of Object.keys(SNAKE) as (keyof WarmStartLora)[]) {
    const mine = config.lora[key];
    if (sameSetting(key, mine, from[key])) continue;
    const show = (v: unknown) => JSON.stringify(v);
    if (sameSetting(key, mine, defaults[key])) {
      (lora as Record<string, unknown>)[key] = from[key];
      adopted.push(`lora.${SNAKE[key]}: ${show(mine)} → ${show(from[key])}`);
    } else {
      conflicts.push(`lora.${SNAKE[key]} is ${show(mine)} but ${show(from[key])} in ${warm.source}`);
    }
  }
  if (conflicts.length > 0) {
    throw new ExperimentSetupError(
      `the warm start's LoRA settings differ from the experiment's: ${conflicts.join("; ")}`,
      "Its trained values compute the same function only with the settings they were trained with: set " +
        `${conflicts.length === 1 ? "that setting" : "those settings"} to the warm start's value (or leave ` +
        "them at their defaults, and they are taken from it), or start without architecture.pretrained_weights.",
    );
  }
  return { config: { ...config, lora }, adopted };
}
