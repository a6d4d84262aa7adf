import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * A search and a worker run different code (tunebook version, config schema or job protocol): the worker
 * refuses the search's trials, and a search refuses to start while such a worker listens on its queue.
 *
 * @example
 * ```ts
 * throw new WorkerVersionError("worker host:12 runs tunebook 0.1.0 but the search 0.2.0");
 * ```
 */
export class WorkerVersionError extends TunebookError {
  constructor(message: string, options: TunebookErrorOptions = {}) {
    super(message, options);
    this.name = "TunebookWorkerVersionError";
  }
}
