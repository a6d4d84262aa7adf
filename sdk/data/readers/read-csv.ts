import { existsSync } from "node:fs";
import { DatasetReadError } from "../dataset-read-error";
import { type DataRecord, normaliseCell, type RecordTable } from "../table";
import { checkedTextStream, checkTableText, type TextReadOptions } from "./text-check";

/** The part of papaparse's API used here (papaparse ships no types; it is danfojs-node's CSV parser). */
interface PapaParseResult {
  data: Record<string, unknown>;
  errors: { type: string; code: string; message: string; row?: number }[];
}
interface PapaLike {
  parse(
    input: NodeJS.ReadableStream,
    config: {
      header: boolean;
      delimiter?: string;
      skipEmptyLines: "greedy";
      transformHeader(h: string): string;
      step(result: PapaParseResult, parser: { abort(): void }): void;
      complete(): void;
      error(err: Error): void;
    },
  ): void;
}

/** Options of {@link readCsv}. */
export interface ReadCsvOptions extends TextReadOptions {
  /** Field delimiter; detected from the header line when left out (`,` `\t` `;` `|`). */
  delimiter?: string;
  /** Keep only these columns (saves memory on wide files). */
  keepColumns?: readonly string[];
}

/**
 * Reads a CSV (or TSV) file with a header row, streaming it through papaparse: quoted fields, embedded
 * newlines, doubled quotes, a UTF-8 BOM and unicode are handled; a missing or empty cell becomes `null`.
 * @param path - the file
 * @param options - delimiter, columns to keep, `allowInvalidText`, `onWarning`
 * @returns the records with their 1-based data-row numbers (the header is not counted)
 * @throws {@link DatasetReadError} when the file is missing or a row is malformed (unclosed quote, extra fields)
 * @throws {@link DatasetReadError} when a cell holds bytes that are not UTF-8 or NUL characters (unless
 *   `allowInvalidText`)
 * @example
 * ```ts
 * const table = await readCsv("train.csv");
 * ```
 */
export async function readCsv(path: string, options: ReadCsvOptions = {}): Promise<RecordTable> {
  if (!existsSync(path)) throw new DatasetReadError("the file does not exist; check the path", { path });
  const Papa = require("papaparse") as PapaLike;
  const keep = options.keepColumns ? new Set(options.keepColumns) : undefined;
  const records: DataRecord[] = [];
  const rows: number[] = [];
  let columns: string[] = [];
  let failure: DatasetReadError | undefined;
  const { stream, check } = checkedTextStream(path);
  await new Promise<void>((resolve, reject) => {
    Papa.parse(stream, {
      header: true,
      delimiter: options.delimiter,
      skipEmptyLines: "greedy",
      transformHeader: (h) => h.replace(/^\uFEFF/, "").trim(),
      step: (result, parser) => {
        const row = records.length + 1;
        const bad = result.errors.find(
          (e) => e.code !== "TooFewFields" && e.code !== "UndetectableDelimiter",
        );
        if (bad || "__parsed_extra" in result.data) {
          const what = bad ? `${bad.message} (${bad.code})` : "more fields than the header has";
          failure = new DatasetReadError(`${what} in data row ${row}; check the quoting of that row`, {
            path,
          });
          parser.abort();
          return;
        }
        const record: DataRecord = {};
        for (const [k, v] of Object.entries(result.data))
          if (!keep || keep.has(k)) record[k] = normaliseCell(v);
        if (columns.length === 0) columns = Object.keys(result.data).filter((k) => !keep || keep.has(k));
        for (const c of columns) if (!(c in record)) record[c] = null;
        records.push(record);
        rows.push(row);
      },
      complete: () => (failure ? reject(failure) : resolve()),
      error: (err) => reject(new DatasetReadError(err.message, { path }, { cause: err })),
    });
  });
  const table = { records, rows, columns, source: path };
  checkTableText(table, check.valid, options);
  return table;
}
