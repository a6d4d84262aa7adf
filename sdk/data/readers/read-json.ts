import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { DatasetReadError } from "../dataset-read-error";
import { type DataRecord, normaliseCell, type RecordTable, tableFromRecords } from "../table";

/**
 * Reads a JSON file holding an array of records (`[{...}, {...}]`). Row numbers are the 1-based array items.
 * @param path - the file
 * @returns the records
 * @throws {@link DatasetReadError} when the file is missing, is not valid JSON, or is not an array of objects
 * @example
 * ```ts
 * const table = await readJson("train.json");
 * ```
 */
export async function readJson(path: string): Promise<RecordTable> {
  if (!existsSync(path)) throw new DatasetReadError("the file does not exist; check the path", { path });
  const text = (await readFile(path, "utf8")).replace(/^\uFEFF/, "");
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
  return tableFromRecords(records, path);
}
