/** "Did you mean …?" suggestions for misspelt setting names. */

/**
 * Levenshtein edit distance between two sequences (strings, or arrays such as token lists).
 * @param a - first sequence
 * @param b - second sequence
 * @returns the number of single-element insertions, deletions and substitutions turning `a` into `b`
 * @example
 * ```ts
 * editDistance("lerning_rate", "learning_rate"); // 1
 * editDistance(["AH0", "P"], ["AH0", "B"]); // 1
 * ```
 */
export function editDistance<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/**
 * The candidate closest to `word`, if it is close enough to be a likely typo (distance ≤ max(2, len/3)), or a
 * candidate containing `word` (or contained in it).
 * @param word - what the user wrote
 * @param candidates - the valid names
 * @returns the suggestion, or `undefined`
 * @example
 * ```ts
 * closestMatch("lr", ["learning_rate", "epochs"]); // undefined
 * closestMatch("epoch", ["learning_rate", "epochs"]); // "epochs"
 * ```
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  if (best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3))) return best;
  return word.length >= 4 ? candidates.find((c) => c.includes(word) || word.includes(c)) : undefined;
}
