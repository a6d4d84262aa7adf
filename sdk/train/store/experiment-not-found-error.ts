import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * A folder given as an experiment is not one: it has no `status.json` or `config.yaml`.
 *
 * @example
 * ```ts
 * try { ExperimentStore.open("nope"); } catch (e) { if (e instanceof ExperimentNotFoundError) console.log(e.dir); }
 * ```
 */
export class ExperimentNotFoundError extends TunebookError {
  /** The folder that was looked at. */
  readonly dir: string;

  constructor(dir: string, options: TunebookErrorOptions = {}) {
    super(
      `Expected an experiment folder (holding status.json or config.yaml) at ${dir}, but found none; ` +
        "pass a folder created by ExperimentStore.create or `tunebook train`, or list them with " +
        "`tunebook experiments list`.",
      options,
    );
    this.name = "TunebookExperimentNotFoundError";
    this.dir = dir;
  }
}
