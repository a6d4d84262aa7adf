/**
 * Tables of records (datasets, metrics, experiment comparisons) as an escaped HTML table in a notebook, or as
 * aligned text columns in a terminal.
 */
import { z } from "zod";
import { parseOptions } from "../sdk/errors";
import { formatNumber } from "./format";
import { escapeHtml } from "./html";
import { type Rendering, resolveSurface, surfaceOptionsSchema } from "./surface";

/**
 * One row: any object, its own enumerable properties are the cells (SDK results such as `EvaluationRow`,
 * `ExperimentSummary` or `TokenStats` are interfaces without an index signature, so this is `object`, not
 * `Record<string, unknown>`).
 */
export type TableRecord = object;

/** A column-oriented frame such as a danfojs `DataFrame`: column names and rows of values. */
export interface TableFrame {
  readonly columns: readonly string[];
  readonly values: readonly (readonly unknown[])[];
}

/** What {@link showTable} shows: rows as records, one record (one row), or a column-oriented frame. */
export type TableInput = readonly TableRecord[] | TableFrame | TableRecord;

function isFrame(v: object): v is TableFrame {
  return (
    Array.isArray((v as { columns?: unknown }).columns) && Array.isArray((v as { values?: unknown }).values)
  );
}

function isRecord(v: unknown): v is TableRecord {
  return typeof v === "object" && v !== null;
}

const optionsSchema = surfaceOptionsSchema.extend({
  rows: z.custom<TableInput>(
    (v) => (Array.isArray(v) ? v.every(isRecord) : isRecord(v) && !(v instanceof Date)),
    {
      message:
        "expected an array of records (objects), one record, or an object with `columns` and `values` " +
        "(e.g. a danfojs DataFrame)",
    },
  ),
  /** Columns to show, in order; default: every key, in order of first appearance. */
  columns: z.array(z.string()).optional(),
  /** Caption above the table. */
  title: z.string().optional(),
  /** Most rows shown; a note tells how many were left out. */
  maxRows: z.number().int().positive().default(50),
});

/** Options of {@link showTable}. */
export type ShowTableOptions = z.input<typeof optionsSchema>;

function toRecords(rows: TableInput): { columns: string[]; records: Record<string, unknown>[] } {
  if (!Array.isArray(rows) && isFrame(rows)) {
    const columns = [...rows.columns];
    return {
      columns,
      records: rows.values.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]]))),
    };
  }
  const records = (Array.isArray(rows) ? rows : [rows]) as Record<string, unknown>[];
  const columns: string[] = [];
  for (const r of records) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  return { columns, records };
}

/**
 * Text of one cell: numbers compact, objects as JSON, `null`/`undefined` empty.
 * @param v - the value
 * @returns display text
 */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "object" && !(v instanceof Date)) {
    try {
      return JSON.stringify(v);
    } catch {
      return String(v);
    }
  }
  return String(v);
}

/**
 * Renders rows as an HTML table (every cell escaped) and as aligned text.
 *
 * @param options - `rows`, `columns`, `title`, `maxRows`
 * @returns both renderings
 * @throws ConfigError for invalid options
 * @example
 * ```ts
 * renderTable({ rows: [{ metric: "bleu", value: 20.1 }] }).text;
 * ```
 */
export function renderTable(options: Omit<ShowTableOptions, "mode" | "output">): Rendering {
  const o = parseOptions(optionsSchema, options, "renderTable");
  const { columns: all, records } = toRecords(o.rows);
  const columns = o.columns ?? all;
  const shown = records.slice(0, o.maxRows);
  const more = records.length - shown.length;
  const cells = shown.map((r) => columns.map((c) => cellText(r[c])));
  const foot = more > 0 ? `… ${more} more row${more === 1 ? "" : "s"} (${records.length} in all)` : "";
  const head = columns.map((c) => `<th style="text-align:left">${escapeHtml(c)}</th>`).join("");
  // Long unbroken values (paths, ids, JSON) may break anywhere and a cell is at most 40em wide, so a table
  // of many or long columns wraps inside the page; what still does not fit scrolls inside its own box.
  const cell = "text-align:left;white-space:pre-wrap;overflow-wrap:anywhere;max-width:40em";
  const body = cells
    .map((row) => `<tr>${row.map((c) => `<td style="${cell}">${escapeHtml(c)}</td>`).join("")}</tr>`)
    .join("\n");
  const html =
    `<div class="tunebook-table-wrap" style="max-width:100%;overflow-x:auto">` +
    `<table class="tunebook-table">` +
    (o.title ? `<caption style="text-align:left;font-weight:bold">${escapeHtml(o.title)}</caption>` : "") +
    `<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>` +
    (foot ? `<div style="color:#888">${escapeHtml(foot)}</div>` : "");
  // A reduce, not Math.max(...cells): a spread of a data-sized array overflows the call stack.
  const widths = columns.map((c, i) =>
    Math.min(
      40,
      cells.reduce((w, r) => Math.max(w, r[i]!.length), c.length),
    ),
  );
  const fit = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (row: string[]) =>
    row
      .map((s, i) => fit(s.replace(/\s+/g, " "), widths[i]!))
      .join("  ")
      .trimEnd();
  const text = [
    ...(o.title ? [o.title] : []),
    line(columns),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.map(line),
    ...(foot ? [foot] : []),
  ].join("\n");
  return { html, text };
}

/**
 * Shows rows as a table: HTML in a notebook, aligned text in a terminal.
 *
 * @param options - `rows` (records, e.g. `run.evaluate(…).rows` or `listExperiments()`; one record, e.g.
 *   `summary.tokens`; or a DataFrame-like `{ columns, values }`), `columns`, `title`, `maxRows`,
 *   surface (`mode`, `output`)
 * @returns nothing
 * @throws ConfigError for invalid options
 * @example
 * ```ts
 * showTable({ title: "metrics", rows: [{ run: "a", loss: 1.23 }, { run: "b", loss: 1.1 }] });
 * ```
 */
export function showTable(options: ShowTableOptions): void {
  const { mode, output, ...rest } = options;
  const r = renderTable(rest);
  const entry = resolveSurface({ mode, output }).entry();
  entry.render(r);
  entry.close();
}
