import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { DatasetReadError } from "../dataset-read-error";
import { type DataRecord, normaliseCell, type RecordTable, tableFromRecords } from "../table";
import { checkTableText, type TextReadOptions, Utf8Check } from "./text-check";

/**
 * Reads a JSON file holding an array of records (`[{...}, {...}]`). Row numbers are the 1-based array items.
 * @param path - the file
 * @param options - `allowInvalidText`, `onWarning`
 * @returns the records
 * @throws {@link DatasetReadError} when the file is missing, is not valid JSON, or is not an array of objects
 * @throws {@link DatasetReadError} when a cell holds bytes that are not UTF-8 or NUL characters (unless
 *   `allowInvalidText`)
 * @example
 * ```ts
 * const table = await readJson("train.json");
 * ```
 */
export async function readJson(path: string, options: TextReadOptions = {}): Promise<RecordTable> {
  if (!existsSync(path)) throw new DatasetReadError("the file does not exist; check the path", { path });
  const bytes = await readFile(path);
  const check = new Utf8Check();
  check.push(bytes, true);
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DatasetReadError(`expected valid JSON: ${(e as Error).message}`, { path }, { cause: e });
  }
  if (!Array.isArray(value)) {
    throw new DatasetReadError(
      `expected a JSON array of records, found ${value === null ? "null" : typeof value}; for one record per line use .jsonl`,
      { path },
    );
  }
  const records = value.map((item, i) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      throw new DatasetReadError(
        `expected item ${i + 1} of the array to be an object, found ${JSON.stringify(item)}`,
        {
          path,
        },
      );
    }
    const out: DataRecord = {};
    for (const [k, v] of Object.entries(item)) out[k] = normaliseCell(v);
    return out;
  });
  const table = tableFromRecords(records, path);
  checkTableText(table, check.valid, options);
  return table;
}
