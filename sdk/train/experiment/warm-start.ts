/**
 * Warm start (`architecture.pretrained_weights`): the trained values a new experiment starts from, read from
 * another experiment's folder, one of its checkpoints, or a PEFT adapter folder.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { loadLoraAdapter } from "../../models";
import { readCheckpointParams } from "../trainer";
import { ExperimentSetupError } from "./experiment-setup-error";

/** Which checkpoint of an experiment folder a warm start uses: the best, else the last. */
function experimentCheckpoint(dir: string): string | undefined {
  for (const which of ["best", "last"]) {
    const candidate = path.join(dir, "checkpoints", which);
    if (existsSync(path.join(candidate, "trainer-state.json"))) return candidate;
  }
  return undefined;
}

/**
 * Reads the values to start training from.
 * @param source - an experiment folder (its best checkpoint, else its last), a checkpoint folder
 *   (`trainer-state.json` + `trainable.safetensors`), or a PEFT LoRA adapter folder (`adapter_config.json`)
 * @returns tensor name (PEFT name for LoRA, Hugging Face name for backbone weights) → values, for
 *   `Backbone.updateParameters`
 * @throws ExperimentSetupError when the folder is none of those; CheckpointError / AdapterError when damaged
 * @example
 * ```ts
 * await backbone.updateParameters(await warmStartValues("experiments/capitals-20261123-101500"));
 * ```
 */
export async function warmStartValues(source: string): Promise<Map<string, Float32Array>> {
  const dir = path.resolve(source);
  if (existsSync(path.join(dir, "adapter_config.json"))) {
    const adapter = await loadLoraAdapter({ dir });
    return new Map([...adapter.tensors].map(([name, t]) => [name, t.data]));
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
  return new Map(Object.entries(params));
}
