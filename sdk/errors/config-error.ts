import { TunebookError, type TunebookErrorOptions } from "./tunebook-error";

/** One problem found in a configuration: where it is and what is wrong. */
export interface ConfigIssue {
  /** Path of the field, e.g. `["training", "learning_rate"]`. */
  path: (string | number)[];
  /** What is wrong and what is allowed. */
  message: string;
}

/**
 * A configuration (options object, YAML file, CLI flag) is invalid. Raised before any work starts.
 *
 * @example
 * ```ts
 * throw new ConfigError([{ path: ["training", "epochs"], message: "expected a number ≥ 0, got -1" }]);
 * ```
 */
export class ConfigError extends TunebookError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: ConfigIssue[], options: TunebookErrorOptions & { source?: string } = {}) {
    const where = options.source ? ` in ${options.source}` : "";
    const lines = issues.map((i) => `  - ${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
    super(`Invalid configuration${where}:\n${lines.join("\n")}`, options);
    this.name = "TunebookConfigError";
    this.issues = issues;
  }
}
