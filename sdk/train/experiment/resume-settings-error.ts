import { TunebookError } from "../../errors";
import type { RefusedChange } from "./resume-settings";

const show = (v: unknown) => (v === undefined ? "(unset)" : JSON.stringify(v));

/**
 * A resume would train with settings (or data) other than those its checkpoint was trained with, which would
 * make a run that neither configuration describes. Names each setting with the checkpoint's value and the new
 * one, and says how to proceed.
 *
 * @example
 * ```ts
 * try { await Experiment.resume(dir); } catch (e) { if (e instanceof ResumeSettingsError) console.log(e.changes); }
 * ```
 */
export class ResumeSettingsError extends TunebookError {
  /** The experiment folder. */
  readonly dir: string;
  /** The refused changes. */
  readonly changes: readonly RefusedChange[];

  /**
   * @param dir - the experiment folder
   * @param checkpoint - the checkpoint folder's name (`last`, `best`) and its step
   * @param changes - what differs and why it is refused
   * @param mayChange - the settings a resume may change, for the message
   */
  constructor(
    dir: string,
    checkpoint: { name: string; step: number },
    changes: readonly RefusedChange[],
    mayChange: string,
  ) {
    const lines = changes.map(
      (c) => `  - ${c.setting}: checkpoint ${show(c.checkpoint)}, now ${show(c.now)} (${c.reason})`,
    );
    super(
      `Cannot resume ${dir} from checkpoints/${checkpoint.name} (step ${checkpoint.step}): it was trained with ` +
        `other settings, and continuing with these would mix them in one run:\n${lines.join("\n")}\n` +
        `To continue this run, restore the checkpoint's values (in ${dir}/config.yaml, or drop the --set). ` +
        "To train with the new values, start a new experiment, warm-started from this one's weights if you " +
        `like (architecture.pretrained_weights: ${dir}). A resume may change only ${mayChange}.`,
    );
    this.name = "TunebookResumeSettingsError";
    this.dir = dir;
    this.changes = changes;
  }
}
