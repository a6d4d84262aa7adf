import { extname } from "node:path";
import { DatasetReadError } from "../dataset-read-error";
import type { RecordTable } from "../table";
import { readCsv } from "./read-csv";
import { readJson } from "./read-json";
import { readJsonl } from "./read-jsonl";
import { readParquet } from "./read-parquet";
import type { TextReadOptions } from "./text-check";

/** File extensions {@link readFile} understands, and the reader each uses. */
export const SUPPORTED_EXTENSIONS = [".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".parquet"] as const;

/**
 * Reads a data file, choosing the reader by extension: `.csv`, `.tsv`, `.json` (array of records),
 * `.jsonl`/`.ndjson` (streamed), `.parquet`.
 * @param path - the file
 * @param options - `keepColumns` keeps only those columns, `allowInvalidText`, `onWarning`
 * @returns the records with their 1-based source rows
 * @throws {@link DatasetReadError} for an unknown extension, a missing file or malformed content
 * @example
 * ```ts
 * const table = await readFile("train.parquet");
 * ```
 */
export async function readFile(
  path: string,
  options: { keepColumns?: readonly string[] } & TextReadOptions = {},
): Promise<RecordTable> {
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case ".csv":
      return readCsv(path, options);
    case ".tsv":
      return readCsv(path, { ...options, delimiter: "\t" });
    case ".json":
      return readJson(path, options);
    case ".jsonl":
    case ".ndjson":
      return readJsonl(path, options);
    case ".parquet":
      return readParquet(path, options);
    default:
      throw new DatasetReadError(
        `expected one of the extensions ${SUPPORTED_EXTENSIONS.join(", ")}, found '${ext || "(none)"}'; rename the file or use Dataset.fromCsv/fromJsonl/…`,
        { path },
      );
  }
}
