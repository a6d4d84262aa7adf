/**
 * Logits processing with Hugging Face `generate` semantics, over one row of scores `[V]` (in place):
 * repetition penalty, token suppression (min new tokens), temperature, top-k, top-p; then greedy choice or
 * sampling from the softmax. Order as in `GenerationMixin._get_logits_processor`: penalty → suppression →
 * temperature → top-k → top-p. Dimension letter: V vocabulary.
 */

/**
 * `RepetitionPenaltyLogitsProcessor`: every token already in the sequence (prompt included) has its score
 * divided by `penalty` when positive, multiplied when negative.
 * @param scores - `[V]`, changed in place
 * @param seen - token ids in the sequence so far
 * @param penalty - > 0; 1 is a no-op
 * @returns `scores`
 * @example
 * ```ts
 * applyRepetitionPenalty(scores, new Set([5, 9]), 1.2);
 * ```
 */
export function applyRepetitionPenalty(
  scores: Float32Array,
  seen: Iterable<number>,
  penalty: number,
): Float32Array {
  if (penalty === 1) return scores;
  for (const id of new Set(seen)) {
    const s = scores[id];
    scores[id] = s < 0 ? s * penalty : s / penalty;
  }
  return scores;
}

/**
 * Sets the scores of `ids` to −∞ (`MinNewTokensLengthLogitsProcessor` suppresses end-of-sequence ids this way).
 * @param scores - `[V]`, changed in place
 * @param ids - token ids to forbid
 * @returns `scores`
 * @example
 * ```ts
 * suppressTokens(scores, [eosId]);
 * ```
 */
export function suppressTokens(scores: Float32Array, ids: Iterable<number>): Float32Array {
  for (const id of ids) if (id >= 0 && id < scores.length) scores[id] = Number.NEGATIVE_INFINITY;
  return scores;
}

/**
 * `TemperatureLogitsWarper`: divides every score by `temperature`.
 * @param scores - `[V]`, changed in place
 * @param temperature - > 0
 * @returns `scores`
 * @example
 * ```ts
 * applyTemperature(scores, 0.7);
 * ```
 */
export function applyTemperature(scores: Float32Array, temperature: number): Float32Array {
  if (temperature !== 1) for (let i = 0; i < scores.length; i++) scores[i] /= temperature;
  return scores;
}

/**
 * `TopKLogitsWarper`: keeps the `k` highest scores (ties with the k-th are kept), −∞ elsewhere.
 * @param scores - `[V]`, changed in place
 * @param k - 0 disables; clamped to [1, V]
 * @returns `scores`
 * @example
 * ```ts
 * topKFilter(scores, 50);
 * ```
 */
export function topKFilter(scores: Float32Array, k: number): Float32Array {
  if (k <= 0 || k >= scores.length) return scores;
  const threshold = Float32Array.from(scores).sort((a, b) => b - a)[k - 1];
  for (let i = 0; i < scores.length; i++) if (scores[i] < threshold) scores[i] = Number.NEGATIVE_INFINITY;
  return scores;
}

/**
 * `TopPLogitsWarper` (nucleus): sorts ascending, removes the tokens whose cumulative probability is
 * `≤ 1 − p`, always keeping the most likely one.
 * @param scores - `[V]`, changed in place
 * @param p - in (0, 1]; 1 disables
 * @returns `scores`
 * @example
 * ```ts
 * topPFilter(scores, 0.9);
 * ```
 */
export function topPFilter(scores: Float32Array, p: number): Float32Array {
  if (p >= 1) return scores;
  const order = Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b]);
  const probs = softmax(scores);
  let cumulative = 0;
  for (let j = 0; j < order.length - 1; j++) {
    cumulative += probs[order[j]];
    if (cumulative > 1 - p) break;
    scores[order[j]] = Number.NEGATIVE_INFINITY;
  }
  return scores;
}

/**
 * Softmax in float64 (−∞ scores get probability 0).
 * @param scores - `[V]`
 * @returns probabilities `[V]`
 * @example
 * ```ts
 * const probs = softmax(scores);
 * ```
 */
export function softmax(scores: Float32Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const s of scores) if (s > max) max = s;
  const out = new Float64Array(scores.length);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    out[i] = scores[i] === Number.NEGATIVE_INFINITY ? 0 : Math.exp(scores[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/**
 * The index of the highest score (the first one on ties, as `torch.argmax`).
 * @param scores - `[V]`
 * @returns the token id
 * @example
 * ```ts
 * const next = argmax(scores);
 * ```
 */
export function argmax(scores: Float32Array): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}

/**
 * Draws a token from the softmax of `scores` with a uniform number from `random`.
 * @param scores - `[V]` (already warped)
 * @param random - returns numbers in [0, 1)
 * @returns the token id
 * @example
 * ```ts
 * const next = sampleToken(scores, seededRandom(42));
 * ```
 */
export function sampleToken(scores: Float32Array, random: () => number): number {
  const probs = softmax(scores);
  const u = random();
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) continue;
    cumulative += probs[i];
    last = i;
    if (u < cumulative) return i;
  }
  return last;
}
