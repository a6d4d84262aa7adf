import { TunebookError, type TunebookErrorOptions } from "../../errors";

/**
 * The data given to a metric cannot be scored: lengths differ, a class is missing, a value is out of range.
 *
 * @example
 * ```ts
 * throw new MetricInputError({ metric: "rocAuc", expected: "both classes in yTrue", found: "only 1", fix: "add rows" });
 * ```
 */
export class MetricInputError extends TunebookError {
  /** The metric that refused the data, e.g. `"rocAuc"`. */
  readonly metric: string;
  /** What the metric needs. */
  readonly expected: string;
  /** What it got. */
  readonly found: string;

  /**
   * @param details - the metric, what it expected, what it found and how to fix it
   * @param options - optional cause
   */
  constructor(
    details: { metric: string; expected: string; found: string; fix: string },
    options: TunebookErrorOptions = {},
  ) {
    super(`${details.metric}: expected ${details.expected}, found ${details.found}. ${details.fix}`, options);
    this.name = "TunebookMetricInputError";
    this.metric = details.metric;
    this.expected = details.expected;
    this.found = details.found;
  }
}
