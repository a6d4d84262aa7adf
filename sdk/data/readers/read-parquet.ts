import { existsSync } from "node:fs";
import { open } from "node:fs/promises";
import { DatasetReadError } from "../dataset-read-error";
import { type DataRecord, normaliseCell, type RecordTable, tableFromRecords } from "../table";

/**
 * Reads a Parquet file with hyparquet (pure JS; snappy built in). int64 values become numbers when safe,
 * strings otherwise; nulls stay `null`.
 * @param path - the file
 * @param options - `keepColumns` reads only those columns
 * @returns the records with 1-based row numbers
 * @throws {@link DatasetReadError} when the file is missing or not a Parquet file
 * @example
 * ```ts
 * const table = await readParquet("train.parquet");
 * ```
 */
export async function readParquet(
  path: string,
  options: { keepColumns?: readonly string[] } = {},
): Promise<RecordTable> {
  if (!existsSync(path)) throw new DatasetReadError("the file does not exist; check the path", { path });
  const { parquetReadObjects } = await import("hyparquet");
  const handle = await open(path, "r");
  let objects: Record<string, unknown>[];
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
  return tableFromRecords(records, path);
}
