import { TunebookError } from "../../errors";

/**
 * A training checkpoint cannot be read: the folder is missing, or a file in it is unreadable or inconsistent.
 *
 * @example
 * ```ts
 * try { await Experiment.resume(dir); } catch (e) { if (e instanceof CheckpointError) console.log(e.dir); }
 * ```
 */
export class CheckpointError extends TunebookError {
  /** The checkpoint folder. */
  readonly dir: string;

  /**
   * @param dir - the checkpoint folder
   * @param problem - what is wrong
   * @param fix - what to do about it
   */
  constructor(dir: string, problem: string, fix: string) {
    super(`Cannot read the training checkpoint at ${dir}: ${problem}. ${fix}`);
    this.name = "TunebookCheckpointError";
    this.dir = dir;
  }
}
