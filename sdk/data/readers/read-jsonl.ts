import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { DatasetReadError } from "../dataset-read-error";
import { type DataRecord, normaliseCell, type RecordTable } from "../table";
import { checkedTextStream, checkTableText, type TextReadOptions, type Utf8Check } from "./text-check";

/** One JSONL record with its 1-based line. */
export interface JsonlLine {
  record: DataRecord;
  line: number;
}

/**
 * Streams a JSON Lines file one record at a time (the file is never held as one string, so files larger than
 * memory can be scanned). Blank lines are skipped.
 * @param path - the file
 * @param options - `signal` to stop early
 * @returns an async iterable of records with their 1-based line numbers
 * @throws {@link DatasetReadError} when the file is missing, or a line is not valid JSON or not an object
 * @example
 * ```ts
 * for await (const { record, line } of iterateJsonl("big.jsonl")) if (line > 3) break;
 * ```
 */
export function iterateJsonl(
  path: string,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<JsonlLine> {
  return checkedJsonl(path, options);
}

/** {@link iterateJsonl}, reporting whether the bytes read were all UTF-8 to `onCheck` at the start. */
async function* checkedJsonl(
  path: string,
  options: { signal?: AbortSignal },
  onCheck?: (check: Utf8Check) => void,
): AsyncGenerator<JsonlLine> {
  if (!existsSync(path)) throw new DatasetReadError("the file does not exist; check the path", { path });
  const { stream, check } = checkedTextStream(path);
  onCheck?.(check);
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      options.signal?.throwIfAborted();
      const trimmed = line === 1 ? text.replace(/^\uFEFF/, "").trim() : text.trim();
      if (trimmed === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch (e) {
        const found = trimmed.length > 40 ? `${trimmed.slice(0, 40)}…` : trimmed;
        throw new DatasetReadError(
          `expected one JSON object per line, found '${found}'`,
          { path, line },
          { cause: e },
        );
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        const kind = Array.isArray(value) ? "an array" : value === null ? "null" : typeof value;
        throw new DatasetReadError(`expected a JSON object, found ${kind}`, { path, line });
      }
      yield { record: value as DataRecord, line };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

/**
 * Reads a JSON Lines file into records, streaming it line by line.
 * @param path - the file
 * @param options - `keepColumns` keeps only those fields (saves memory), `signal` stops early,
 *   `allowInvalidText`, `onWarning`
 * @returns the records with their 1-based line numbers
 * @throws {@link DatasetReadError} as {@link iterateJsonl}
 * @throws {@link DatasetReadError} when a cell holds bytes that are not UTF-8 or NUL characters (unless
 *   `allowInvalidText`)
 * @example
 * ```ts
 * const table = await readJsonl("train.jsonl", { keepColumns: ["prompt", "answer"] });
 * ```
 */
export async function readJsonl(
  path: string,
  options: { keepColumns?: readonly string[]; signal?: AbortSignal } & TextReadOptions = {},
): Promise<RecordTable> {
  const keep = options.keepColumns ? new Set(options.keepColumns) : undefined;
  const records: DataRecord[] = [];
  const rows: number[] = [];
  const columns = new Set<string>();
  let check: Utf8Check | undefined;
  for await (const { record, line } of checkedJsonl(path, options, (c) => {
    check = c;
  })) {
    const out: DataRecord = {};
    for (const [k, v] of Object.entries(record)) {
      if (keep && !keep.has(k)) continue;
      out[k] = normaliseCell(v);
      columns.add(k);
    }
    records.push(out);
    rows.push(line);
  }
  const table = { records, rows, columns: [...columns], source: path };
  checkTableText(table, check?.valid ?? true, options);
  return table;
}
