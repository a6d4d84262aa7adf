import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * A model could not be resolved from the Hugging Face Hub or its local cache: not cached in offline mode,
 * repository or revision not found, access denied, or a download failed.
 *
 * @example
 * ```ts
 * throw new HubError({ repo: "org/name", revision: "main", problem: "not in the cache and offline mode is on", fix: "Run once online." });
 * ```
 */
export class HubError extends TunebookError {
  /** The repository id, `org/name`. */
  readonly repo: string;
  /** The revision asked for. */
  readonly revision: string;
  /** What is wrong. */
  readonly problem: string;
  /** How to fix it. */
  readonly fix: string;

  /**
   * @param details - `repo`, `revision`, the `problem` and the `fix`
   * @param options - `cause`
   */
  constructor(
    details: { repo: string; revision: string; problem: string; fix: string },
    options: TunebookErrorOptions = {},
  ) {
    super(
      `Hugging Face model ${details.repo}@${details.revision}: ${details.problem}. ${details.fix}`,
      options,
    );
    this.name = "TunebookHubError";
    this.repo = details.repo;
    this.revision = details.revision;
    this.problem = details.problem;
    this.fix = details.fix;
  }
}
