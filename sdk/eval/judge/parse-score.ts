/**
 * Reading a score out of a judge's free-text answer. Tried in order, the last match of each rule winning:
 * `[[7]]` (MT-Bench), `SCORE:`/`Rating:`/`Grade:` followed by a number or fraction, `a/b` or `a out of b`
 * fractions, then the last number in the answer. A fraction is rescaled to the template's range
 * (`8/10` on a 0–1 template is 0.8). Anything outside the range is rejected.
 */

const NUM = String.raw`[-+]?(?:\d+(?:\.\d+)?|\.\d+)`;
const FRACTION = new RegExp(String.raw`(${NUM})\s*(?:/|out\s+of)\s*(${NUM})`, "gi");
const RULES: RegExp[] = [
  new RegExp(String.raw`\[\[\s*(${NUM})\s*\]\]`, "g"),
  new RegExp(
    String.raw`(?:score|rating|grade)\s*(?:\(\s*[^)]*\))?\s*(?:is|of|[:=\-])?\s*\**\s*\[{0,2}\s*(${NUM}(?:\s*(?:/|out\s+of)\s*${NUM})?)`,
    "gi",
  ),
];

function lastMatch(re: RegExp, text: string): string | undefined {
  let last: string | undefined;
  for (const m of text.matchAll(re)) last = m[1];
  return last;
}

function toValue(raw: string, scale: [number, number]): number {
  const frac = new RegExp(FRACTION.source, "i").exec(raw);
  if (frac) {
    const den = Number(frac[2]);
    if (den <= 0) return Number.NaN;
    const ratio = Number(frac[1]) / den;
    return den === scale[1] ? Number(frac[1]) : ratio * scale[1];
  }
  return Number(raw);
}

/**
 * Parses a judge answer into a score within `scale`, or `null` when none can be found.
 * @param answer - the judge's full answer
 * @param scale - the template's score range, e.g. `[1, 10]`
 * @returns the score, or null
 * @example
 * ```ts
 * parseJudgeScore("Good answer. Rating: [[7]]", [1, 10]); // 7
 * parseJudgeScore("I'd give it 8/10 because…", [0, 1]); // 0.8
 * ```
 */
export function parseJudgeScore(answer: string, scale: [number, number]): number | null {
  const inRange = (v: number) => Number.isFinite(v) && v >= scale[0] && v <= scale[1];
  for (const re of RULES) {
    const raw = lastMatch(re, answer);
    if (raw !== undefined) {
      const v = toValue(raw, scale);
      if (inRange(v)) return v;
    }
  }
  const frac = lastMatch(new RegExp(`(${FRACTION.source})`, "gi"), answer);
  if (frac !== undefined) {
    const v = toValue(frac, scale);
    if (inRange(v)) return v;
  }
  const numbers = [...answer.matchAll(new RegExp(NUM, "g"))].map((m) => Number(m[0])).filter(inRange);
  return numbers.length ? numbers[numbers.length - 1] : null;
}
