import { TunebookError } from "../errors";

/**
 * A model's reply could not be used: no JSON found in it, or JSON that does not match the schema.
 *
 * @example
 * ```ts
 * throw new DatagenOutputError({ output: "Sure!", problem: "no JSON object found" });
 * ```
 */
export class DatagenOutputError extends TunebookError {
  /** The model's reply, verbatim. */
  readonly output: string;
  /** What was wrong with it. */
  readonly problem: string;

  /**
   * @param options - the reply and what was wrong with it
   */
  constructor(options: { output: string; problem: string }) {
    const shown = options.output.length > 200 ? `${options.output.slice(0, 200)}…` : options.output;
    super(
      `The model's reply could not be used: ${options.problem}. Expected a JSON object matching the schema; ` +
        `got ${JSON.stringify(shown)}. Retry, give clearer examples, or enable JSON mode on the endpoint.`,
    );
    this.name = "TunebookDatagenOutputError";
    this.output = options.output;
    this.problem = options.problem;
  }
}
