/**
 * BLEU sufficient statistics and the score computed from them, following sacreBLEU's `BLEU.compute_bleu`
 * (sacrebleu/metrics/bleu.py) step for step, including its smoothing methods and effective order.
 */

/** sacreBLEU's smoothing methods (Chen & Cherry 2014): none, floor (method 1), add-k (method 2), exp (method 3). */
export type BleuSmoothing = "none" | "floor" | "add-k" | "exp";

/** Default smoothing values, as sacreBLEU's `BLEU.SMOOTH_DEFAULTS`. */
export const SMOOTH_DEFAULTS: Record<BleuSmoothing, number | undefined> = {
  none: undefined,
  floor: 0.1,
  "add-k": 1,
  exp: undefined,
};

/** Matched and total n-gram counts plus lengths, for one segment or summed over a corpus. */
export interface BleuStats {
  /** Hypothesis length in tokens. */
  sysLen: number;
  /** Closest reference length in tokens. */
  refLen: number;
  /** Clipped matched n-grams, index n−1 for order n. */
  correct: number[];
  /** Hypothesis n-grams, index n−1 for order n. */
  total: number[];
}

/** A BLEU score with its parts, as sacreBLEU's `BLEUScore` (all on the 0–100 scale except `bp`). */
export interface BleuScore {
  score: number;
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
  counts: number[];
  totals: number[];
}

function ngramCounts(tokens: readonly string[], maxOrder: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = tokens.slice(i, i + n).join(" ");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Statistics of one tokenized hypothesis against its tokenized references (n-gram counts clipped by the maximum
 * count over references; closest reference length, the shorter on ties).
 * @param hyp - hypothesis tokens
 * @param refs - tokens of each reference (at least one)
 * @param maxOrder - largest n-gram order (4)
 * @returns the segment statistics
 * @example
 * ```ts
 * segmentStats(["a", "test"], [["a", "test"]], 4).correct; // [2, 1, 0, 0]
 * ```
 */
export function segmentStats(
  hyp: readonly string[],
  refs: readonly (readonly string[])[],
  maxOrder: number,
): BleuStats {
  const refNgrams = new Map<string, number>();
  for (const ref of refs) {
    for (const [g, c] of ngramCounts(ref, maxOrder)) refNgrams.set(g, Math.max(refNgrams.get(g) ?? 0, c));
  }
  let refLen = -1;
  let bestDiff = -1;
  for (const ref of refs) {
    const diff = Math.abs(hyp.length - ref.length);
    if (bestDiff === -1 || diff < bestDiff || (diff === bestDiff && ref.length < refLen)) {
      bestDiff = diff;
      refLen = ref.length;
    }
  }
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  for (const [g, c] of ngramCounts(hyp, maxOrder)) {
    const n = g.split(" ").length - 1;
    total[n] += c;
    correct[n] += Math.min(c, refNgrams.get(g) ?? 0);
  }
  return { sysLen: hyp.length, refLen, correct, total };
}

/**
 * Sums segment statistics into corpus statistics.
 * @param stats - per-segment statistics
 * @param maxOrder - largest n-gram order
 * @returns the sums
 * @example
 * ```ts
 * sumStats([s1, s2], 4);
 * ```
 */
export function sumStats(stats: readonly BleuStats[], maxOrder: number): BleuStats {
  const out: BleuStats = {
    sysLen: 0,
    refLen: 0,
    correct: new Array(maxOrder).fill(0),
    total: new Array(maxOrder).fill(0),
  };
  for (const s of stats) {
    out.sysLen += s.sysLen;
    out.refLen += s.refLen;
    for (let n = 0; n < maxOrder; n++) {
      out.correct[n] += s.correct[n];
      out.total[n] += s.total[n];
    }
  }
  return out;
}

/** sacreBLEU's `my_log`: log floored to −9999999999 at zero. */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/**
 * BLEU from sufficient statistics, exactly as sacreBLEU's `BLEU.compute_bleu`.
 * @param stats - corpus (or sentence) statistics
 * @param smoothing - smoothing method
 * @param smoothValue - value for `floor`/`add-k`; undefined uses sacreBLEU's default (0.1, 1)
 * @param effectiveOrder - stop at the highest order with any hypothesis n-gram (for sentence BLEU)
 * @returns the score (0–100) with precisions, brevity penalty and lengths
 * @example
 * ```ts
 * computeBleu({ sysLen: 11, refLen: 11, correct: [9, 7, 5, 3], total: [10, 8, 6, 4] }, "none", undefined, false).score; // 83.759…
 * ```
 */
export function computeBleu(
  stats: BleuStats,
  smoothing: BleuSmoothing,
  smoothValue: number | undefined,
  effectiveOrder: boolean,
): BleuScore {
  const value = smoothValue ?? SMOOTH_DEFAULTS[smoothing] ?? 0;
  const maxOrder = stats.correct.length;
  const correct = [...stats.correct];
  const total = [...stats.total];
  const { sysLen, refLen } = stats;
  let bp = 1;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;
  const precisions = new Array<number>(maxOrder).fill(0);
  const result = (score: number): BleuScore => ({
    score,
    precisions,
    bp,
    sysLen,
    refLen,
    counts: correct,
    totals: total,
  });
  if (!correct.some((c) => c !== 0)) return result(0);
  let smoothMteval = 1;
  let effOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (smoothing === "add-k" && n > 1) {
      correct[n - 1] += value;
      total[n - 1] += value;
    }
    if (total[n - 1] === 0) break;
    if (effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (smoothing === "exp") {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total[n - 1]);
      } else if (smoothing === "floor") {
        precisions[n - 1] = (100 * value) / total[n - 1];
      }
    } else {
      precisions[n - 1] = (100 * correct[n - 1]) / total[n - 1];
    }
  }
  let logSum = 0;
  for (let n = 0; n < effOrder; n++) logSum += myLog(precisions[n]);
  return result(bp * Math.exp(logSum / effOrder));
}
