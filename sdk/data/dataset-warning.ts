/** A problem that did not stop the data from being used: rows dropped, examples truncated. Never printed. */
export interface DatasetWarning {
  /** Stable code: `dropped-rows` (missing prompt/answer/text, `onMissing: "drop"`), `truncated` (longer than `maxLength`). */
  code: "dropped-rows" | "truncated";
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
