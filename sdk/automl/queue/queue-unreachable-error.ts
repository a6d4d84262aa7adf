import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * The Redis server behind a search's job queue could not be reached (a search or a worker refuses to start).
 *
 * @example
 * ```ts
 * throw new QueueUnreachableError("redis://127.0.0.1:6379", "connect ECONNREFUSED 127.0.0.1:6379");
 * ```
 */
export class QueueUnreachableError extends TunebookError {
  /** The address it tried. */
  readonly url: string;

  constructor(url: string, detail: string, options: TunebookErrorOptions = {}) {
    super(
      `cannot reach Redis at ${url} (${detail}); start redis-server there (e.g. \`redis-server --port 6379\`) ` +
        "or pass the address of a running one (--queue redis://host:port)",
      options,
    );
    this.name = "TunebookQueueUnreachableError";
    this.url = url;
  }
}
