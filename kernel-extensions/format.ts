/** Number and duration formatting shared by the text and HTML renderings. */

/**
 * Formats a number compactly: 4 significant digits, exponent form for very small or large magnitudes.
 *
 * @param x - the number (NaN and ±Infinity are written as such)
 * @returns the text
 * @throws never
 * @example
 * ```ts
 * formatNumber(0.000123456); // "1.235e-4"
 * formatNumber(2.34567); // "2.346"
 * ```
 */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = x.toExponential(3).split("e");
    return `${Number(m)}e${Number(e)}`;
  }
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}

/**
 * Formats seconds as `h:mm:ss` or `m:ss`.
 *
 * @param seconds - a duration; negative, NaN or infinite gives `"?"`
 * @returns the text
 * @throws never
 * @example
 * ```ts
 * formatDuration(3725); // "1:02:05"
 * formatDuration(65); // "1:05"
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}
