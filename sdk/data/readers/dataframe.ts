import type { DataFrame } from "danfojs-node";
import { type DataRecord, normaliseCell, type RecordTable, tableFromRecords } from "../table";

/**
 * Loads danfojs-node on first use. It loads TensorFlow.js (about 1 s and 150 MB), so nothing in `sdk/data`
 * requires it at import time.
 * @returns the danfojs-node module
 * @example
 * ```ts
 * const dfd = loadDanfo(); const df = new dfd.DataFrame([{ a: 1 }]);
 * ```
 */
export function loadDanfo(): typeof import("danfojs-node") {
  return require("danfojs-node") as typeof import("danfojs-node");
}

/**
 * Reads the rows of a danfojs DataFrame into records (`NaN`/`undefined` cells become `null`).
 * @param df - the DataFrame
 * @returns the records, rows numbered 1..n
 * @example
 * ```ts
 * const table = tableFromDataFrame(df);
 * ```
 */
export function tableFromDataFrame(df: DataFrame): RecordTable {
  const columns = df.columns;
  const values = df.values as unknown[][];
  const records = values.map((row) => {
    const r: DataRecord = {};
    columns.forEach((c, j) => {
      r[c] = normaliseCell(row[j]);
    });
    return r;
  });
  const table = tableFromRecords(records, "DataFrame");
  table.columns = [...columns];
  return table;
}

/**
 * Builds a danfojs DataFrame from records (loading danfojs on demand). Nested values (e.g. a `messages` list)
 * are stored as JSON strings, since DataFrame cells are scalars.
 * @param table - the records and their columns
 * @returns a new DataFrame
 * @example
 * ```ts
 * const df = tableToDataFrame(tableFromRecords([{ a: "x" }], "records"));
 * ```
 */
export function tableToDataFrame(table: RecordTable): DataFrame {
  const dfd = loadDanfo();
  const data: Record<string, unknown[]> = {};
  for (const c of table.columns) {
    data[c] = table.records.map((r) => {
      const v = r[c];
      return v !== null && typeof v === "object" ? JSON.stringify(v) : (v ?? null);
    });
  }
  return new dfd.DataFrame(data, { columns: table.columns });
}
