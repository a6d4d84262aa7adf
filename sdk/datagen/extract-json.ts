/**
 * Finds the JSON value in a model's reply: the whole reply, a fenced ```json block, or the first balanced
 * `{…}` / `[…]` span that parses (string-aware, so braces inside strings do not confuse it).
 */

/** End index (exclusive) of the balanced JSON span starting at `start`, or -1. */
function balancedEnd(text: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") stack.push(ch === "{" ? "}" : "]");
    else if (ch === "}" || ch === "]") {
      if (stack.pop() !== ch) return -1;
      if (stack.length === 0) return i + 1;
    }
  }
  return -1;
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Extracts the first JSON object or array from a model's reply, tolerating prose around it and markdown
 * fences.
 * @param text - the reply
 * @returns `{ ok: true, value }` with the parsed JSON, or `{ ok: false }` when none parses
 * @example
 * ```ts
 * extractJson('Sure! ```json\n{"a": 1}\n``` Hope that helps.'); // { ok: true, value: { a: 1 } }
 * ```
 */
export function extractJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const whole = tryParse(text.trim());
  if (whole.ok && typeof whole.value === "object" && whole.value !== null) return whole;
  for (const m of text.matchAll(/```(?:json|JSON)?\s*\n?([\s\S]*?)```/g)) {
    const fenced = tryParse(m[1].trim());
    if (fenced.ok) return fenced;
  }
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== "{" && text[i] !== "[") continue;
    const end = balancedEnd(text, i);
    if (end < 0) continue;
    const span = tryParse(text.slice(i, end));
    if (span.ok) return span;
  }
  return { ok: false };
}
