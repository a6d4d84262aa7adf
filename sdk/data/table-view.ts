import type { DataRecord } from "./table";

/** Options of {@link TableView}. */
export interface TableViewOptions {
  columns: readonly string[];
  records: readonly DataRecord[];
  /** 1-based source rows shown in the first column. */
  rows: readonly number[];
  /** Total rows in the dataset, for the caption. */
  totalRows: number;
  /** Longest cell text shown before it is cut with `…` (default 80). */
  maxCellChars?: number;
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function cellString(v: unknown): string {
  if (v === null || v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/**
 * A preview of a few rows: `toHTML()` for notebooks (escaped, so cells with `<|prompt|>` or `<b>` show as
 * text), `toString()` for terminals (a plain, aligned table). Long cells are cut; newlines shown as `⏎`.
 * @example
 * ```ts
 * const view = dataset.head(3); view.toString();
 * ```
 */
export class TableView {
  readonly columns: readonly string[];
  readonly records: readonly DataRecord[];
  readonly rows: readonly number[];
  readonly totalRows: number;
  private readonly maxCellChars: number;

  /** @param options - columns, records, rows, total rows, cell width */
  constructor(options: TableViewOptions) {
    this.columns = options.columns;
    this.records = options.records;
    this.rows = options.rows;
    this.totalRows = options.totalRows;
    this.maxCellChars = options.maxCellChars ?? 80;
  }

  private cell(v: unknown): string {
    // Only the shown prefix is split into code points: a cell can hold megabytes.
    const head = Array.from(cellString(v).slice(0, 2 * this.maxCellChars + 2));
    const s = head.join("").replace(/\r?\n/g, "⏎");
    const chars = Array.from(s);
    return chars.length > this.maxCellChars ? `${chars.slice(0, this.maxCellChars - 1).join("")}…` : s;
  }

  /**
   * An HTML table (a `<table>` with a caption), cells HTML-escaped.
   * @returns the HTML
   * @example
   * ```ts
   * dataset.head(5).toHTML();
   * ```
   */
  toHTML(): string {
    const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
    const head = `<tr><th>row</th>${this.columns.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>`;
    const body = this.records
      .map(
        (r, i) =>
          `<tr><th>${this.rows[i]}</th>${this.columns.map((c) => `<td>${esc(this.cell(r[c]))}</td>`).join("")}</tr>`,
      )
      .join("");
    const caption = `${this.records.length} of ${this.totalRows} rows × ${this.columns.length} columns`;
    return `<table class="tunebook-dataset"><caption>${caption}</caption><thead>${head}</thead><tbody>${body}</tbody></table>`;
  }

  /**
   * A plain-text table with aligned columns and a caption line.
   * @returns the text
   * @example
   * ```ts
   * console.log(dataset.head(5).toString());
   * ```
   */
  toString(): string {
    const header = ["row", ...this.columns];
    const body = this.records.map((r, i) => [
      String(this.rows[i]),
      ...this.columns.map((c) => this.cell(r[c])),
    ]);
    const widths = header.map((h, j) =>
      body.reduce((w, b) => Math.max(w, Array.from(b[j]).length), Array.from(h).length),
    );
    const line = (cells: string[]) =>
      cells.map((c, j) => c + " ".repeat(widths[j] - [...c].length)).join(" │ ");
    const rule = widths.map((w) => "─".repeat(w)).join("─┼─");
    const caption = `${this.records.length} of ${this.totalRows} rows × ${this.columns.length} columns`;
    return [line(header), rule, ...body.map(line), caption].join("\n");
  }
}
