import { seededRandom } from "../util/seeded-random";

export { seededRandom };
/**
 * Combines integers into one seed (e.g. the user's seed and the epoch), so each combination has its own stream.
 * @param parts - integers
 * @returns a 32-bit seed
 * @example
 * ```ts
 * const rand = seededRandom(mixSeeds(42, epoch));
 * ```
 */
export function mixSeeds(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
  }
  return h >>> 0;
}

/**
 * A seeded permutation of 0..n-1 (Fisher–Yates).
 * @param n - length
 * @param seed - seed
 * @returns the permuted indices
 * @example
 * ```ts
 * seededPermutation(5, 1); // e.g. [3, 0, 4, 1, 2], the same on every run
 * ```
 */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const rand = seededRandom(seed);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
