/**
 * What a training checkpoint holds and how it is read back: the trainable tensors (`trainable.safetensors`,
 * LoRA tensors under their PEFT names or full weights under their Hugging Face names), the AdamW moments
 * (`optimizer.safetensors`, `m.<name>` / `v.<name>`) and `trainer-state.json` (step, position in the data,
 * seed, best metric). Written through the store's atomic checkpoint writer, so a crash leaves the previous
 * checkpoint intact.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import type { OptimizerState } from "../../engine";
import { encodeSafetensors, SafetensorsFile, type WritableTensor } from "../../models";
import { type CheckpointFiles, recoverCheckpoint } from "../store";
import { CheckpointError } from "./checkpoint-error";

/** `trainer-state.json`: where the run stands. */
export const TrainerStateSchema = z.object({
  /** Format version of this file. */
  version: z.literal(1),
  /** Optimizer steps done. */
  step: z.number().int().min(0),
  /** Steps the run plans in total. */
  totalSteps: z.number().int().min(0),
  /** Epoch (0-based) the next batch comes from. */
  epoch: z.number().int().min(0),
  /** Index of the next micro-batch within that epoch. */
  nextBatch: z.number().int().min(0),
  /** Seed of shuffling and dropout. */
  seed: z.number().int(),
  /** Best validation value so far and its step (null before the first evaluation). */
  best: z.object({ metric: z.string(), value: z.number(), step: z.number().int() }).nullable(),
  /** Last training loss. */
  loss: z.number().nullable(),
  /** Tensor shapes by name. */
  shapes: z.record(z.array(z.number().int().min(0))),
  /**
   * The resolved configuration the run trained with up to this checkpoint (snake_case, as in `config.yaml`),
   * so a resume can tell what changed since. Absent in checkpoints written before it was recorded.
   */
  config: z.record(z.unknown()).optional(),
  /** SHA-256 of the tokenized training examples, so a resume can tell whether the training data changed. */
  dataFingerprint: z.string().optional(),
});

/** Contents of `trainer-state.json`. */
export type TrainerState = z.infer<typeof TrainerStateSchema>;

/** A checkpoint in memory. */
export interface TrainCheckpoint {
  state: TrainerState;
  optimizer: OptimizerState;
}

const tensorsOf = (values: Record<string, Float32Array>, shapes: TrainerState["shapes"], prefix = "") =>
  Object.fromEntries(
    Object.entries(values).map(([n, data]): [string, WritableTensor] => [
      `${prefix}${n}`,
      { shape: shapes[n], data },
    ]),
  );

/**
 * The files of a checkpoint, for `ExperimentStore.writeCheckpoint`.
 * @param checkpoint - trainer state and optimizer state
 * @returns relative path → bytes
 * @example
 * ```ts
 * await store.writeCheckpoint("last", checkpointFiles({ state, optimizer: step.exportState() }));
 * ```
 */
export function checkpointFiles(checkpoint: TrainCheckpoint): CheckpointFiles {
  const { state, optimizer } = checkpoint;
  return {
    "trainable.safetensors": encodeSafetensors(tensorsOf(optimizer.params, state.shapes), {
      format: "pt",
    }),
    "optimizer.safetensors": encodeSafetensors(
      { ...tensorsOf(optimizer.m, state.shapes, "m."), ...tensorsOf(optimizer.v, state.shapes, "v.") },
      { step: String(optimizer.step) },
    ),
    "trainer-state.json": `${JSON.stringify(state, null, 2)}\n`,
  };
}

/** Reads the tensors of a safetensors file whose names start with each prefix (prefix removed), one map per prefix. */
async function readPrefixed(
  file: string,
  prefixes: readonly string[],
): Promise<Record<string, Float32Array>[]> {
  const st = await SafetensorsFile.open({ path: file });
  const out = prefixes.map((): Record<string, Float32Array> => ({}));
  for (const name of st.names()) {
    const k = prefixes.findIndex((p) => name.startsWith(p));
    if (k >= 0) out[k][name.slice(prefixes[k].length)] = await st.readFloat32(name);
  }
  return out;
}

/**
 * What to do about an unreadable checkpoint folder: for an experiment's `last` or `best`, the command that uses
 * the other one; otherwise, another checkpoint folder.
 */
function otherCheckpointAdvice(dir: string, problem: "missing" | "damaged"): string {
  const name = path.basename(dir);
  const experiment = path.dirname(path.dirname(dir));
  const inExperiment = path.basename(path.dirname(dir)) === "checkpoints";
  const start =
    problem === "missing" ? "This experiment has no such checkpoint" : "The checkpoint is damaged";
  if (inExperiment && (name === "last" || name === "best")) {
    const other = name === "last" ? "best" : "last";
    const kept = other === "best" ? " (kept only with training.save_checkpoint: best)" : "";
    return (
      `${start}; if ${path.join(path.dirname(dir), other)} exists${kept}, use it: continue training with ` +
      `\`tunebook train --resume ${experiment} --checkpoint ${other}\` (in code ` +
      `\`Experiment.resume(dir, { checkpoint: "${other}" })\`), or load it with ` +
      `\`loadTrainedBackbone(dir, { checkpoint: "${other}" })\`; otherwise start a new experiment.`
    );
  }
  return `${start}; use another checkpoint folder, or start a new experiment.`;
}

/** Recovers an interrupted swap, then runs `read`, turning any failure into a {@link CheckpointError}. */
async function readChecked<T>(dir: string, read: () => Promise<T>): Promise<T> {
  if (!recoverCheckpoint(dir)) {
    throw new CheckpointError(dir, "no checkpoint folder", otherCheckpointAdvice(dir, "missing"));
  }
  try {
    return await read();
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(dir, (error as Error).message, otherCheckpointAdvice(dir, "damaged"));
  }
}

function readState(dir: string): TrainerState {
  return TrainerStateSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, "trainer-state.json"), "utf8")));
}

/**
 * Reads only `trainer-state.json` of a checkpoint folder (finishing any interrupted swap first): where the run
 * stands and what it was trained with, without the tensors (what a resume plan or a dry run needs).
 * @param dir - e.g. `experiments/run/checkpoints/last`
 * @returns the trainer state
 * @throws {@link CheckpointError} when the folder is missing or the file is unreadable or inconsistent
 * @example
 * ```ts
 * const { step, totalSteps } = await readTrainerState(store.path("checkpoints", "last"));
 * ```
 */
export function readTrainerState(dir: string): Promise<TrainerState> {
  return readChecked(dir, async () => readState(dir));
}

/**
 * Reads a checkpoint folder (finishing any interrupted swap first).
 * @param dir - e.g. `experiments/run/checkpoints/last`
 * @returns the trainer and optimizer state
 * @throws {@link CheckpointError} when the folder is missing or a file is unreadable or inconsistent
 * @example
 * ```ts
 * const { state, optimizer } = await readCheckpoint(store.path("checkpoints", "last"));
 * ```
 */
export function readCheckpoint(dir: string): Promise<TrainCheckpoint> {
  return readChecked(dir, async () => {
    const state = readState(dir);
    const [params] = await readPrefixed(path.join(dir, "trainable.safetensors"), [""]);
    const [m, v] = await readPrefixed(path.join(dir, "optimizer.safetensors"), ["m.", "v."]);
    return { state, optimizer: { step: state.step, params, m, v } };
  });
}

/**
 * Reads only the trained values of a checkpoint folder (not the optimizer moments, twice their size): what
 * loading a trained model or a warm start needs.
 * @param dir - e.g. `experiments/run/checkpoints/best`
 * @returns the trainer state and the trained values by name
 * @throws {@link CheckpointError} when the folder is missing or a file is unreadable or inconsistent
 * @example
 * ```ts
 * const { params } = await readCheckpointParams(store.path("checkpoints", "best"));
 * ```
 */
export function readCheckpointParams(
  dir: string,
): Promise<{ state: TrainerState; params: Record<string, Float32Array> }> {
  return readChecked(dir, async () => {
    const state = readState(dir);
    const [params] = await readPrefixed(path.join(dir, "trainable.safetensors"), [""]);
    return { state, params };
  });
}
