/**
 * Parzen estimators of the tree-structured Parzen estimator (Bergstra et al. 2011, with Optuna's defaults): a
 * mixture of truncated Gaussians, one per observation plus a broad prior, for a numeric dimension; smoothed
 * category frequencies for a choice.
 */

/** erf by Abramowitz–Stegun 7.1.26 (absolute error < 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-a * a);
  return s * y;
}

const normalCdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

/** A Gaussian-mixture density truncated to [low, high]. */
export class NumericParzen {
  private readonly mus: number[];
  private readonly sigmas: number[];
  private readonly weights: number[];
  private readonly norms: number[];

  /**
   * @param observations - observed values (in the search's internal scale: log for log ranges)
   * @param low - lower bound
   * @param high - upper bound
   * @param priorWeight - weight of the prior component (a Gaussian centred on the range, σ = its width)
   */
  constructor(
    observations: readonly number[],
    private readonly low: number,
    private readonly high: number,
    priorWeight = 1,
  ) {
    const width = high - low;
    const points = [
      ...observations.map((mu) => ({ mu, prior: false })),
      { mu: (low + high) / 2, prior: true },
    ];
    points.sort((a, b) => a.mu - b.mu);
    const minSigma = width / Math.min(100, points.length + 1);
    this.mus = points.map((p) => p.mu);
    this.sigmas = points.map((p, i) => {
      if (p.prior) return width;
      const left = p.mu - (i > 0 ? points[i - 1].mu : low);
      const right = (i < points.length - 1 ? points[i + 1].mu : high) - p.mu;
      return Math.min(width, Math.max(minSigma, left, right));
    });
    const raw = points.map((p) => (p.prior ? priorWeight : 1));
    const total = raw.reduce((a, b) => a + b, 0);
    this.weights = raw.map((w) => w / total);
    this.norms = this.mus.map(
      (mu, i) => normalCdf((high - mu) / this.sigmas[i]) - normalCdf((low - mu) / this.sigmas[i]),
    );
  }

  /**
   * A draw from the density.
   * @param rand - a [0, 1) generator
   * @returns a value in [low, high]
   */
  sample(rand: () => number): number {
    let u = rand();
    let k = 0;
    while (k < this.weights.length - 1 && u >= this.weights[k]) u -= this.weights[k++];
    for (let attempt = 0; attempt < 100; attempt++) {
      // Box–Muller
      const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      const x = this.mus[k] + this.sigmas[k] * z;
      if (x >= this.low && x <= this.high) return x;
    }
    return Math.min(this.high, Math.max(this.low, this.mus[k]));
  }

  /** Log density at x. */
  logPdf(x: number): number {
    let p = 0;
    for (let i = 0; i < this.mus.length; i++) {
      const z = (x - this.mus[i]) / this.sigmas[i];
      p +=
        (this.weights[i] * Math.exp(-0.5 * z * z)) /
        (this.sigmas[i] * Math.sqrt(2 * Math.PI) * this.norms[i]);
    }
    return Math.log(Math.max(p, 1e-300));
  }
}

/** Smoothed frequencies of the categories of a choice. */
export class CategoricalParzen {
  private readonly probs: number[];

  /**
   * @param observations - observed category indices
   * @param size - number of categories
   * @param priorWeight - pseudo-count spread evenly over the categories
   */
  constructor(observations: readonly number[], size: number, priorWeight = 1) {
    const counts = Array.from({ length: size }, () => priorWeight / size);
    for (const o of observations) counts[o] += 1;
    const total = counts.reduce((a, b) => a + b, 0);
    this.probs = counts.map((c) => c / total);
  }

  /** A draw: a category index. */
  sample(rand: () => number): number {
    let u = rand();
    for (let i = 0; i < this.probs.length - 1; i++) {
      if (u < this.probs[i]) return i;
      u -= this.probs[i];
    }
    return this.probs.length - 1;
  }

  /** Log probability of a category index. */
  logPdf(index: number): number {
    return Math.log(this.probs[index]);
  }
}
