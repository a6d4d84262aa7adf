/**
 * Sequence packing: examples grouped into rows of at most `capacity` tokens by best-fit decreasing (TRL's
 * `packing_strategy="bfd"`): longest first, each into the open row whose free space fits it most tightly. The
 * grouping depends only on the examples' lengths (not on a seed or an epoch), so every epoch has the same rows
 * and the same number of batches; the batches shuffle the rows instead.
 */
import type { TokenizedExample } from "./tokenize-examples";

/**
 * Packs examples into rows of at most `capacity` tokens (an example longer than that gets a row of its own).
 * @param examples - the examples
 * @param capacity - tokens per row (≥ 1)
 * @returns the rows, each a list of examples, in a fixed order (by their first, longest example)
 * @throws Error when `capacity` is not a positive integer
 * @example
 * ```ts
 * const rows = packExamples(train.examples, 512); // rows.length ≤ train.length
 * ```
 */
export function packExamples(examples: readonly TokenizedExample[], capacity: number): TokenizedExample[][] {
  if (!(Number.isInteger(capacity) && capacity >= 1)) {
    throw new Error(`packExamples: capacity must be a positive integer, got ${capacity}`);
  }
  const order = [...examples.keys()].sort((a, b) => examples[b].ids.length - examples[a].ids.length || a - b);
  const rows: TokenizedExample[][] = [];
  // byFree[f]: the rows with exactly f free tokens, most recent last.
  const byFree: number[][] = Array.from({ length: capacity + 1 }, () => []);
  for (const i of order) {
    const length = Math.min(examples[i].ids.length, capacity);
    let free = length;
    while (free <= capacity && byFree[free].length === 0) free++;
    let row: number;
    if (free <= capacity) row = byFree[free].pop() as number;
    else {
      row = rows.push([]) - 1;
      free = capacity;
    }
    rows[row].push(examples[i]);
    byFree[free - length].push(row);
  }
  return rows;
}
