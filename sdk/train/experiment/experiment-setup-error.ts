import { TunebookError } from "../../errors";

/**
 * An experiment cannot start: something it needs (a backbone, a dataset, a checkpoint to resume) is missing.
 *
 * @example
 * ```ts
 * try { await Experiment.create({ name: "x" }).fit(); } catch (e) { if (e instanceof ExperimentSetupError) console.log(e.message); }
 * ```
 */
export class ExperimentSetupError extends TunebookError {
  /**
   * @param problem - what is missing or wrong
   * @param fix - what to do about it
   */
  constructor(problem: string, fix: string) {
    super(`Cannot start the experiment: ${problem}. ${fix}`);
    this.name = "TunebookExperimentSetupError";
  }
}
