/** The one compact number format of tables, shared by the CLI's text and the notebook's HTML. */

/**
 * Formats a number compactly: 4 significant digits, exponent form for very small or large magnitudes,
 * integers as they are.
 * @param x - the number (NaN and ±Infinity are written as such)
 * @returns the text
 * @example
 * ```ts
 * formatNumber(0.000123456); // "1.235e-4"
 * formatNumber(2.34567); // "2.346"
 * formatNumber(1.5); // "1.5"
 * formatNumber(199999); // "199999"
 * ```
 */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  // Counts and ids (steps, rows, tokens) stay exact: 199999 is not 2e5.
  if (Number.isInteger(x) && a < 1e15) return String(x);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = x.toExponential(3).split("e");
    return `${Number(m)}e${Number(e)}`;
  }
  return String(Number(x.toPrecision(4)));
}
