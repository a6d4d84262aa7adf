/** One record: column name → cell value (string, number, boolean, null, nested JSON, …). */
export type DataRecord = Record<string, unknown>;

/**
 * Records as read from a source, with the 1-based row each came from (the data row of a CSV without its
 * header, the line of a JSONL file, the item of a JSON array, the row of a Parquet file or DataFrame), so that
 * errors can point at the row the user sees.
 */
export interface RecordTable {
  /** The records, in source order. */
  records: DataRecord[];
  /** `rows[i]` is the 1-based source row of `records[i]`. */
  rows: number[];
  /** Column names in source order (the union over all records). */
  columns: string[];
  /** Where the records came from, for messages: a path, `records` or `DataFrame`. */
  source: string;
}

/**
 * Builds a {@link RecordTable} from records, numbering rows 1..n and collecting the column names.
 * @param records - the records
 * @param source - a name for messages
 * @param rows - 1-based source rows, when they are not simply 1..n
 * @returns the table
 * @example
 * ```ts
 * const t = tableFromRecords([{ q: "hi", a: "hello" }], "records");
 * ```
 */
export function tableFromRecords(records: DataRecord[], source: string, rows?: number[]): RecordTable {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) seen.add(k);
  return { records, rows: rows ?? records.map((_, i) => i + 1), columns: [...seen], source };
}

/**
 * Normalises a cell value: `undefined`, `NaN` and `""` become `null`, bigint becomes a number when safe.
 * @param value - a raw cell
 * @returns the normalised cell
 * @example
 * ```ts
 * normaliseCell(""); // null
 * ```
 */
export function normaliseCell(value: unknown): unknown {
  if (value === undefined || value === "") return null;
  if (typeof value === "number" && Number.isNaN(value)) return null;
  if (typeof value === "bigint")
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}
