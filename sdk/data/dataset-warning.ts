/**
 * A problem that did not stop the data from being used: rows dropped, examples truncated. `Dataset` methods
 * pass it to the `onWarning` you give them, or print it to stderr ({@link warnOnStderr}) when you give none;
 * a training run turns it into a `log` event of level `warn`, which the CLI and the notebook view show.
 */
export interface DatasetWarning {
  /**
   * Stable code: `dropped-rows` (missing prompt/answer/text, `onMissing: "drop"`), `truncated` (longer than
   * `maxLength`), `invalid-text` (bytes that are not UTF-8, or NUL characters, replaced while reading).
   */
  code: "dropped-rows" | "truncated" | "invalid-text";
  /** A readable message with the count and the reason. */
  message: string;
  /** How many rows or examples it concerns. */
  count: number;
  /** The column involved, when one is. */
  column?: string;
  /** The first few 1-based source rows concerned (at most 10). */
  rows: number[];
}

/** Receives warnings; pass one as `onWarning` to collect them or show them in a notebook. */
export type WarningHandler = (warning: DatasetWarning) => void;

/**
 * The handler used when none is given: prints `warning: <message>` with `console.warn` (stderr in a terminal,
 * the cell's output in a notebook).
 * @param warning - the warning
 * @example
 * ```ts
 * const { train } = await data.prepare({ tokenizer, maxLength: 256, onWarning: warnOnStderr });
 * ```
 */
export const warnOnStderr: WarningHandler = (warning) => {
  console.warn(`warning: ${warning.message}`);
};
