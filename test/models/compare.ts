/**
 * Comparison helpers for the models tests. Dimension letters: B batch, T time, V vocabulary.
 */
import assert from "node:assert/strict";

/** A fixed padded batch: row 0 full, row 1 right-padded, row 2 left-padded. */
export const BATCH = {
  ids: [
    [5, 17, 300, 42, 7, 99],
    [12, 250, 3, 0, 0, 0],
    [0, 0, 81, 64, 500, 11],
  ],
  mask: [
    [1, 1, 1, 1, 1, 1],
    [1, 1, 1, 0, 0, 0],
    [0, 0, 1, 1, 1, 1],
  ],
};

/**
 * Largest absolute difference between our `[B, T, V]` logits and the reference's, over real tokens only.
 * @param data - our logits, row-major
 * @param expected - the reference's `[B][T][V]`
 * @param mask - `[B][T]`, 1 where compared
 * @returns the max abs error and how many values were compared
 */
export function maxAbsError(data: Float32Array, expected: number[][][], mask: number[][]): number {
  const V = expected[0][0].length;
  const T = expected[0].length;
  let worst = 0;
  let compared = 0;
  for (let b = 0; b < expected.length; b++) {
    for (let t = 0; t < T; t++) {
      if (!mask[b][t]) continue;
      for (let v = 0; v < V; v++) {
        worst = Math.max(worst, Math.abs(data[(b * T + t) * V + v] - expected[b][t][v]));
        compared++;
      }
    }
  }
  assert.ok(compared > 0, "nothing compared");
  return worst;
}

/**
 * Asserts `max |a − e| ≤ atol + rtol · max |e|` over two flat arrays of equal length.
 * @param actual - ours
 * @param expected - the reference's
 * @param name - for the message
 * @param tol - absolute and relative tolerance
 */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: readonly number[],
  name: string,
  tol = { atol: 1e-5, rtol: 1e-4 },
): void {
  assert.equal(actual.length, expected.length, `${name}: length`);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  assert.ok(scale > 0, `${name}: the reference is all zeros (the test could not fail)`);
  const bound = tol.atol + tol.rtol * scale;
  assert.ok(worst <= bound, `${name}: max abs error ${worst.toExponential(2)} > ${bound.toExponential(2)}`);
}
