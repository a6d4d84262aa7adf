import { TunebookError } from "../../errors";

/**
 * An experiment folder is already being trained by another live process (its `run.lock` names it), so this
 * process may not train it too.
 *
 * @example
 * ```ts
 * try { await Experiment.resume(dir); } catch (e) { if (e instanceof ExperimentLockedError) console.log(e.pid); }
 * ```
 */
export class ExperimentLockedError extends TunebookError {
  /** The experiment folder. */
  readonly dir: string;
  /** Process id of the run holding the lock. */
  readonly pid: number;
  /** Host the holding run runs on. */
  readonly host: string;

  /**
   * @param dir - the experiment folder
   * @param holder - pid and host recorded in the lock
   * @param lockFile - the lock file's path
   * @param sameHost - whether the holder runs on this machine (its liveness could be checked)
   */
  constructor(dir: string, holder: { pid: number; host: string }, lockFile: string, sameHost: boolean) {
    const where = sameHost ? `process ${holder.pid}` : `process ${holder.pid} on host ${holder.host}`;
    super(
      `The experiment ${dir} is being trained by ${where} (see ${lockFile}); two runs of one folder would ` +
        "overwrite each other's checkpoints. Wait for that run to end or stop it (Ctrl-C stops after the " +
        `current step with a checkpoint), then resume. If no such run is alive${sameHost ? " (a reused process id)" : ""}, delete ${lockFile}.`,
    );
    this.name = "TunebookExperimentLockedError";
    this.dir = dir;
    this.pid = holder.pid;
    this.host = holder.host;
  }
}
