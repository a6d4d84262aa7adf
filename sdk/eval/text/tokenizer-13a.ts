/** Tokenizers sacreBLEU offers that tunebook implements: `13a` (mteval-v13a, the default) and `none`. */
export type BleuTokenizer = "13a" | "none";

// Python's str.split()/strip() whitespace, which is wider than JS `\s` in places (\x1c–\x1f, \x85) and narrower
// in one (\ufeff is not whitespace in Python).
const PY_WHITESPACE =
  "\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const SPLIT = new RegExp(`[${PY_WHITESPACE}]+`);
const TRAILING = new RegExp(`[${PY_WHITESPACE}]+$`);

const RULES: [RegExp, string][] = [
  // language-dependent part (assuming Western languages): most ASCII punctuation becomes its own token
  [/([{-~[-` -&(-+:-@/])/g, " $1 "],
  // period and comma, unless preceded by a digit
  [/([^0-9])([.,])/g, "$1 $2 "],
  // period and comma, unless followed by a digit
  [/([.,])([^0-9])/g, " $1 $2"],
  // dash preceded by a digit
  [/([0-9])(-)/g, "$1 $2 "],
];

/**
 * Splits on whitespace exactly as Python's `str.split()` with no argument does.
 * @param text - any text
 * @returns the non-empty pieces
 * @example
 * ```ts
 * pySplit("  a \u0085b "); // ["a", "b"]
 * ```
 */
export function pySplit(text: string): string[] {
  return text.split(SPLIT).filter((t) => t.length > 0);
}

/**
 * Tokenizes one segment as sacreBLEU's `13a` tokenizer (mteval-v13a.pl, used by WMT) does, after sacreBLEU's own
 * preprocessing (trailing whitespace stripped).
 * @param line - one hypothesis or reference segment
 * @returns the tokens joined by single spaces
 * @example
 * ```ts
 * tokenize13a("It wasn't surprising."); // "It wasn ' t surprising ."
 * ```
 */
export function tokenize13a(line: string): string {
  let s = line
    .replace(TRAILING, "")
    .replaceAll("<skipped>", "")
    .replaceAll("-\n", "")
    .replaceAll("\n", " ")
    .replaceAll("&quot;", '"')
    .replaceAll("&amp;", "&")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">");
  s = ` ${s} `;
  for (const [re, repl] of RULES) s = s.replace(re, repl);
  return pySplit(s).join(" ");
}

/**
 * Tokenizes a segment with the named sacreBLEU tokenizer, lowercasing first when asked.
 * @param line - one segment
 * @param tokenizer - `"13a"` or `"none"` (whitespace only)
 * @param lowercase - lowercase before tokenizing
 * @returns the tokens
 * @example
 * ```ts
 * tokenizeForBleu("Hello, world!", "13a", false); // ["Hello", ",", "world", "!"]
 * ```
 */
export function tokenizeForBleu(line: string, tokenizer: BleuTokenizer, lowercase: boolean): string[] {
  const s = lowercase ? line.toLowerCase() : line;
  return pySplit(tokenizer === "13a" ? tokenize13a(s) : s.replace(TRAILING, ""));
}
