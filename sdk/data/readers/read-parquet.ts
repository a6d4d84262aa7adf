import { existsSync } from "node:fs";
import { open } from "node:fs/promises";
import { DatasetReadError } from "../dataset-read-error";
import { type DataRecord, normaliseCell, type RecordTable, tableFromRecords } from "../table";
import { checkTableText, type TextReadOptions } from "./text-check";

/**
 * Reads a Parquet file with hyparquet (pure JS; snappy built in). int64 values become numbers when safe,
 * strings otherwise; nulls stay `null`.
 * @param path - the file
 * @param options - `keepColumns` reads only those columns, `allowInvalidText`, `onWarning`
 * @returns the records with 1-based row numbers
 * @throws {@link DatasetReadError} when the file is missing or not a Parquet file
 * @throws {@link DatasetReadError} when a cell holds bytes that are not UTF-8 or NUL characters (unless
 *   `allowInvalidText`)
 * @example
 * ```ts
 * const table = await readParquet("train.parquet");
 * ```
 */
export async function readParquet(
  path: string,
  options: { keepColumns?: readonly string[] } & TextReadOptions = {},
): Promise<RecordTable> {
  if (!existsSync(path)) throw new DatasetReadError("the file does not exist; check the path", { path });
  const { parquetReadObjects } = await import("hyparquet");
  const handle = await open(path, "r");
  let objects: Record<string, unknown>[];
  // Strings are decoded strictly first, to know whether any held bytes that are not UTF-8.
  const strict = new TextDecoder("utf-8", { fatal: true });
  const lenient = new TextDecoder();
  let validUtf8 = true;
  const stringFromBytes = (bytes: Uint8Array) => {
    try {
      return strict.decode(bytes);
    } catch {
      validUtf8 = false;
      return lenient.decode(bytes);
    }
  };
  try {
    const { size } = await handle.stat();
    const file = {
      byteLength: size,
      async slice(start: number, end = size): Promise<ArrayBuffer> {
        const buf = new Uint8Array(end - start);
        await handle.read(buf, 0, end - start, start);
        return buf.buffer;
      },
    };
    objects = await parquetReadObjects({
      file,
      columns: options.keepColumns ? [...options.keepColumns] : undefined,
      parsers: { stringFromBytes },
    });
  } catch (e) {
    throw new DatasetReadError(`expected a Parquet file: ${(e as Error).message}`, { path }, { cause: e });
  } finally {
    await handle.close();
  }
  const records = objects.map((o) => {
    const out: DataRecord = {};
    for (const [k, v] of Object.entries(o)) out[k] = normaliseCell(v);
    return out;
  });
  const table = tableFromRecords(records, path);
  checkTableText(table, validUtf8, options);
  return table;
}
