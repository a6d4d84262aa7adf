/** RFC 4180 CSV rendering of prediction rows. */

function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Renders rows as CSV: a header with the union of keys (in first-seen order), CRLF line ends, fields with
 * commas, quotes or newlines quoted, objects as JSON.
 * @param rows - plain records
 * @returns the CSV text (empty string for no rows)
 * @example
 * ```ts
 * toCsv([{ a: 1, b: "x,y" }]); // 'a,b\r\n1,"x,y"\r\n'
 * ```
 */
export function toCsv(rows: readonly Record<string, unknown>[]): string {
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  if (columns.length === 0) return "";
  const lines = [columns.map(cell).join(",")];
  for (const row of rows) lines.push(columns.map((c) => cell(row[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}
