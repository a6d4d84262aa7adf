import { TunebookError, type TunebookErrorOptions } from "../errors";

/**
 * A data file could not be read or parsed: it is missing, has an unknown extension, or is malformed at a
 * given line (JSONL) or record (CSV). The message names the file and the 1-based line.
 *
 * @example
 * ```ts
 * throw new DatasetReadError("expected a JSON object, found 'nul'", { path: "train.jsonl", line: 7 });
 * ```
 */
export class DatasetReadError extends TunebookError {
  readonly path: string;
  readonly line?: number;

  /**
   * @param problem - what was expected, what was found, and the fix
   * @param context - the file path and the 1-based line, when known
   * @param options - `cause`
   */
  constructor(problem: string, context: { path: string; line?: number }, options: TunebookErrorOptions = {}) {
    const at = context.line === undefined ? "" : ` line ${context.line}`;
    super(`Cannot read ${context.path}${at}: ${problem}`, options);
    this.name = "TunebookDatasetReadError";
    this.path = context.path;
    this.line = context.line;
  }
}
