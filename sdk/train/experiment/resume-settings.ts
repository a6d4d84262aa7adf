/**
 * What a resume may change. A resumed run continues the optimisation the checkpoint recorded, so it must train
 * with the same settings; only settings that do not change the trained values may differ (they are honoured and
 * recorded), and any other difference is refused, so an experiment's record always describes how it was trained.
 *
 * May change: when to evaluate and which checkpoints to keep (`training.evaluation_epochs`,
 * `training.evaluate_before_training`, `training.save_checkpoint`), how often to log (`logging.log_every_n_steps`),
 * how answers are generated for evaluation (`prediction.*`), where it runs (`environment.device`,
 * `environment.threads`, `environment.deterministic`), and `training.epochs` when the schedule is `constant` (the
 * learning rate of a step then does not depend on the planned length, so a longer run equals an uninterrupted
 * one of that length). Everything else is refused.
 */
import { configToPlain, type ExperimentConfig } from "../config";

/** A setting whose value differs between the checkpoint and the configuration a resume would run. */
export interface SettingChange {
  /** Dotted snake_case path, e.g. `training.learning_rate`. */
  setting: string;
  /** Value the checkpoint was trained with. */
  checkpoint: unknown;
  /** Value the resume would use. */
  now: unknown;
}

/** A change a resume refuses, and why. */
export interface RefusedChange extends SettingChange {
  reason: string;
}

/** Settings that do not change the trained values: a resume honours a new value (and records it). */
const HONOURED: readonly string[] = [
  "training.evaluation_epochs",
  "training.evaluate_before_training",
  "training.save_checkpoint",
  "logging.log_every_n_steps",
  "environment.device",
  "environment.threads",
  "environment.deterministic",
];

/** The settings a resume may change, for messages. */
export const RESUME_MAY_CHANGE = `${HONOURED.join(", ")}, prediction.*, and training.epochs with training.schedule: constant`;

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, value);
  return out;
}

function reasonFor(setting: string): string {
  const group = setting.split(".")[0];
  if (setting === "logging.name" || setting === "logging.output_dir") {
    return "it names a new experiment folder, and a resumed run stays in its own";
  }
  if (setting === "environment.seed") return "it picks the data sample";
  if (group === "dataset" || group === "tokenizer" || group === "augmentation") {
    return "it changes the training data";
  }
  if (group === "architecture" || group === "lora" || group === "problem_type") {
    return "it changes the model being trained";
  }
  return "it changes how the remaining steps train";
}

/**
 * Compares the configuration a checkpoint was trained with and the one a resume would run.
 * @param recorded - the checkpoint's configuration
 * @param next - the configuration of the resume (the folder's config.yaml plus any overrides)
 * @param at - the checkpoint's step and the steps its run planned
 * @returns the changes a resume honours and those it refuses (empty when nothing changed)
 * @example
 * ```ts
 * const { honoured, refused } = compareResumeSettings(recorded, next, { step: 6, totalSteps: 18 });
 * ```
 */
export function compareResumeSettings(
  recorded: ExperimentConfig,
  next: ExperimentConfig,
  at: { step: number; totalSteps: number },
): { honoured: SettingChange[]; refused: RefusedChange[] } {
  const before = flatten(configToPlain(recorded), "", new Map());
  const after = flatten(configToPlain(next), "", new Map());
  const honoured: SettingChange[] = [];
  const refused: RefusedChange[] = [];
  for (const setting of new Set([...before.keys(), ...after.keys()])) {
    const change = { setting, checkpoint: before.get(setting), now: after.get(setting) };
    if (JSON.stringify(change.checkpoint) === JSON.stringify(change.now)) continue;
    if (HONOURED.includes(setting) || setting.startsWith("prediction.")) honoured.push(change);
    else if (setting === "training.epochs") {
      const reason = epochsRefusal(recorded, next, at);
      if (reason) refused.push({ ...change, reason });
      else honoured.push(change);
    } else refused.push({ ...change, reason: reasonFor(setting) });
  }
  return { honoured, refused };
}

/** Why a new number of epochs cannot be honoured, or undefined when it can. */
function epochsRefusal(
  recorded: ExperimentConfig,
  next: ExperimentConfig,
  at: { step: number; totalSteps: number },
): string | undefined {
  if (recorded.training.schedule !== "constant" || next.training.schedule !== "constant") {
    return (
      `with the ${next.training.schedule} schedule the learning rate of every remaining step depends on the ` +
      "planned number of steps, so the run would match neither setting (only a constant schedule can be " +
      "extended)"
    );
  }
  if (recorded.training.epochs > 0) {
    const perEpoch = at.totalSteps / recorded.training.epochs;
    const planned = Math.round(perEpoch * next.training.epochs);
    if (planned < at.step) {
      return `the checkpoint is at step ${at.step}, and ${next.training.epochs} epochs plan only ${planned} steps`;
    }
  }
  return undefined;
}
