import { DatasetError } from "./dataset-error";
import type { RecordTable } from "./table";

/**
 * Checks that each column exists in the table and is not entirely empty.
 * @param table - the records
 * @param columns - the columns the mapping reads
 * @param optional - columns that may be entirely empty (e.g. `system`, `parentId`)
 * @throws {@link DatasetError} naming the first missing or empty column and listing the available ones
 * @example
 * ```ts
 * requireColumns(table, ["instruction", "output"]);
 * ```
 */
export function requireColumns(
  table: RecordTable,
  columns: readonly string[],
  optional: readonly string[] = [],
): void {
  const present = new Set(table.columns);
  for (const column of columns) {
    if (!present.has(column)) {
      throw new DatasetError(
        `expected a column named '${column}', found only: ${table.columns.join(", ") || "(no columns)"}; fix the column mapping`,
        { source: table.source, column },
      );
    }
  }
  for (const column of columns) {
    if (optional.includes(column)) continue;
    if (table.records.every((r) => r[column] === null || r[column] === undefined || r[column] === "")) {
      throw new DatasetError(
        `expected values, found the column empty in all ${table.records.length} rows; map another column`,
        { source: table.source, column },
      );
    }
  }
}

/**
 * Reads one cell as text: `null` when missing or blank, the string otherwise.
 * @param table - the records
 * @param index - 0-based record index
 * @param column - the column
 * @returns the text, or `null` when the cell is missing or only whitespace
 * @throws {@link DatasetError} when the cell holds a number, boolean, list or object instead of text
 * @example
 * ```ts
 * const prompt = cellText(table, 0, "instruction");
 * ```
 */
export function cellText(table: RecordTable, index: number, column: string): string | null {
  const v = table.records[index][column];
  if (v === null || v === undefined) return null;
  if (typeof v !== "string") {
    const shown = typeof v === "object" ? JSON.stringify(v).slice(0, 60) : String(v);
    throw new DatasetError(
      `expected text, found ${Array.isArray(v) ? "a list" : typeof v} (${shown}); convert the column to strings`,
      { source: table.source, column, row: table.rows[index] },
    );
  }
  return v.trim() === "" ? null : v;
}

/**
 * Reads an id cell (string or integer) as a string key; `null` when missing.
 * @param table - the records
 * @param index - 0-based record index
 * @param column - the id or parent-id column
 * @returns the key, or `null`
 * @throws {@link DatasetError} when the cell is neither a string nor a number
 * @example
 * ```ts
 * const id = cellKey(table, 0, "id");
 * ```
 */
export function cellKey(table: RecordTable, index: number, column: string): string | null {
  const v = table.records[index][column];
  if (v === null || v === undefined) return null;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "string") return v.trim() === "" ? null : v.trim();
  throw new DatasetError(`expected an id (text or integer), found ${typeof v}`, {
    source: table.source,
    column,
    row: table.rows[index],
  });
}
