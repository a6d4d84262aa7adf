/**
 * HTML building blocks: escaping text for element content and attribute values, and embedding JSON or code
 * in a `<script>` element without it closing the element early.
 */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#x27;",
};

/**
 * Escapes text for HTML element content and quoted attribute values (the same five characters as Python's
 * `html.escape(s, quote=True)`).
 *
 * @param value - any value; `null`/`undefined` become the empty string, others go through `String()`
 * @returns the escaped text
 * @throws never
 * @example
 * ```ts
 * escapeHtml('<b title="x">'); // "&lt;b title=&quot;x&quot;&gt;"
 * ```
 */
export function escapeHtml(value: unknown): string {
  const s = value === null || value === undefined ? "" : String(value);
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * Serialises a value as JSON that is safe inside a `<script>` element (`<`, `>`, `&`, U+2028/9 escaped).
 *
 * @param value - a JSON-serialisable value
 * @returns JSON text
 * @throws TypeError for values JSON cannot represent (cycles, BigInt)
 * @example
 * ```ts
 * scriptJson({ name: "</script>" }); // '{"name":"\\u003c/script\\u003e"}'
 * ```
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * Makes JavaScript source safe to place inside a `<script>` element by breaking every `</script`.
 *
 * @param code - JavaScript source
 * @returns the same program, with no `</script` sequence in it
 * @throws never
 * @example
 * ```ts
 * scriptSafe('s = "</script>"'); // 's = "<\\/script>"'
 * ```
 */
export function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, "<\\/$1");
}
