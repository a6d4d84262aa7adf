/**
 * Invalid text in data files: bytes that are not UTF-8 (a file saved in Latin-1 or Windows-1252, a cut
 * multi-byte character) and NUL characters. Decoding replaces bad bytes with U+FFFD silently, so each reader
 * also feeds the file's bytes to a fatal UTF-8 decoder ({@link Utf8Check}); when it fails, or when a cell
 * holds a NUL, the cells concerned are located ({@link checkTableText}) and the file is refused, or read with a
 * warning when `allowInvalidText` is set.
 */
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { type Readable, Transform } from "node:stream";
import { DatasetReadError } from "../dataset-read-error";
import { type WarningHandler, warnOnStderr } from "../dataset-warning";
import type { RecordTable } from "../table";

/** How readers treat invalid text. */
export interface TextReadOptions {
  /**
   * Read a file that holds bytes that are not UTF-8 or NUL characters, with a warning (bad bytes become
   * U+FFFD, NULs are kept); default false: such a file is refused with an error naming the row and column.
   */
  allowInvalidText?: boolean;
  /** Receives the `invalid-text` warning when `allowInvalidText` is set (default: stderr). */
  onWarning?: WarningHandler;
}

/** A streaming check of a file's bytes: whether they are all UTF-8. */
export class Utf8Check {
  private readonly fatal = new TextDecoder("utf-8", { fatal: true });
  /** False once a byte sequence that is not UTF-8 was seen. */
  valid = true;

  /**
   * Checks the next bytes of the file.
   * @param bytes - a chunk
   * @param last - whether it is the last (an incomplete character at the end is then invalid)
   */
  push(bytes: Uint8Array, last = false): void {
    if (!this.valid) return;
    try {
      this.fatal.decode(bytes, { stream: !last });
    } catch {
      this.valid = false;
    }
  }

  /** Ends the file (an incomplete trailing character makes it invalid). */
  end(): void {
    this.push(new Uint8Array(0), true);
  }
}

/**
 * A file as a stream of text (decoded as UTF-8, bad bytes replaced), checked on the way.
 * @param path - the file
 * @returns the text stream and its check, complete when the stream has ended
 * @example
 * ```ts
 * const { stream, check } = checkedTextStream("train.csv");
 * ```
 */
export function checkedTextStream(path: string): { stream: Readable; check: Utf8Check } {
  const check = new Utf8Check();
  const raw = createReadStream(path);
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      check.push(chunk);
      done(null, chunk);
    },
    flush(done) {
      check.end();
      done();
    },
  });
  raw.on("error", (e) => stream.destroy(e));
  stream.on("close", () => raw.destroy());
  raw.pipe(stream);
  stream.setEncoding("utf8");
  return { stream, check };
}

interface BadCell {
  row: number;
  column: string;
  what: "invalid UTF-8" | "NUL";
}

function badIn(value: unknown, replaced: boolean): BadCell["what"] | undefined {
  if (typeof value === "string") {
    if (value.includes("\u0000")) return "NUL";
    return replaced && value.includes("\uFFFD") ? "invalid UTF-8" : undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) {
      const bad = badIn(v, replaced);
      if (bad) return bad;
    }
  }
  return undefined;
}

/**
 * Refuses, or warns about, the cells of a table read from `path` that hold NUL characters or (when the file's
 * bytes were not all UTF-8) replacement characters. Rows are the table's source rows; row 0 is the header.
 * @param table - the table read
 * @param validUtf8 - whether the file's bytes were all UTF-8 (else U+FFFD in a cell marks a bad byte)
 * @param options - `allowInvalidText`, `onWarning`
 * @throws {@link DatasetReadError} naming the first cells, unless `allowInvalidText`
 * @example
 * ```ts
 * checkTableText(table, check.valid, { allowInvalidText: false });
 * ```
 */
export function checkTableText(table: RecordTable, validUtf8: boolean, options: TextReadOptions): void {
  const replaced = !validUtf8;
  const bad: BadCell[] = [];
  for (const column of table.columns) {
    const what = badIn(column, replaced);
    if (what) bad.push({ row: 0, column, what });
  }
  table.records.forEach((record, i) => {
    for (const [column, value] of Object.entries(record)) {
      const what = badIn(value, replaced);
      if (what) bad.push({ row: table.rows[i], column, what });
    }
  });
  if (bad.length === 0) return;
  const where = (c: BadCell) => `${c.row === 0 ? "the header" : `row ${c.row}`}, column "${c.column}"`;
  const kinds = [...new Set(bad.map((c) => c.what))];
  const found = kinds
    .map((k) => (k === "NUL" ? "NUL characters (U+0000)" : "bytes that are not valid UTF-8"))
    .join(" and ");
  const first = bad
    .slice(0, 5)
    .map((c) => (kinds.length > 1 ? `${where(c)} (${c.what})` : where(c)))
    .join("; ");
  const more = bad.length > 5 ? `; ${bad.length - 5} more` : "";
  const cells = bad.length === 1 ? "1 cell" : `${bad.length} cells`;
  const utf8 = kinds.includes("invalid UTF-8");
  if (!options.allowInvalidText) {
    const name = basename(table.source);
    throw new DatasetReadError(
      `found ${found} in ${cells}: ${first}${more}. ` +
        `${utf8 ? `Save the file as UTF-8 (from Windows-1252: \`iconv -f WINDOWS-1252 -t UTF-8 ${name} > utf8-${name}\`)` : "Remove the NUL characters"}, ` +
        "or set allowInvalidText: true (YAML: dataset.allow_invalid_text: true) to read it anyway with a warning",
      { path: table.source },
    );
  }
  const kept = [utf8 ? "bad bytes replaced by U+FFFD" : "", kinds.includes("NUL") ? "NULs kept" : ""];
  const rows = [...new Set(bad.map((c) => c.row))];
  (options.onWarning ?? warnOnStderr)({
    code: "invalid-text",
    count: bad.length,
    column: bad[0].column,
    rows: rows.slice(0, 10),
    message: `${table.source}: ${found} in ${cells} (${first}${more}), read anyway as allowInvalidText is set (${kept.filter(Boolean).join(", ")})`,
  });
}
