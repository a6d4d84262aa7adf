/** Number and duration formatting shared by the text and HTML renderings. */

export { formatNumber } from "../sdk/util";

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
