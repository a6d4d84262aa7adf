import { TunebookError, type TunebookErrorOptions } from "../errors";

/** Where a dataset problem was found. */
export interface DatasetErrorContext {
  /** The data source (file path or `records`/`DataFrame`). */
  source?: string;
  /** The column involved, when one is. */
  column?: string;
  /** The 1-based row as in the source (data row of a CSV without the header, line of a JSONL, item of a JSON array). */
  row?: number;
}

/**
 * A dataset is unusable as given: a missing or empty column, a missing answer, a non-string value, a broken
 * `id`/`parent_id` chain, an empty dataset or one smaller than a batch. The message names the column and
 * the 1-based row, says what was expected and found, and how to fix it.
 *
 * @example
 * ```ts
 * throw new DatasetError("expected a non-empty string answer, found an empty cell; fill it in or drop the row", {
 *   source: "train.csv", column: "output", row: 12,
 * });
 * ```
 */
export class DatasetError extends TunebookError {
  readonly source?: string;
  readonly column?: string;
  readonly row?: number;

  /**
   * @param problem - what was expected, what was found, and the fix
   * @param context - where: source, column, 1-based row
   * @param options - `cause`
   */
  constructor(problem: string, context: DatasetErrorContext = {}, options: TunebookErrorOptions = {}) {
    const where = [
      context.source && `in ${context.source}`,
      context.column !== undefined && `column '${context.column}'`,
      context.row !== undefined && `row ${context.row}`,
    ].filter(Boolean);
    super(
      where.length ? `Dataset error ${where.join(", ")}: ${problem}` : `Dataset error: ${problem}`,
      options,
    );
    this.name = "TunebookDatasetError";
    this.source = context.source;
    this.column = context.column;
    this.row = context.row;
  }
}
