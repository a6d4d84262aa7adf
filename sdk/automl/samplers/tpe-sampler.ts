import { seededRandom } from "../../util";
import type { Dimension, SettingValue } from "../search-space";
import type { TrialParams, TrialRecord } from "../trial";
import { drawParams, drawValue } from "./draw";
import { CategoricalParzen, NumericParzen } from "./parzen";
import type { Sampler, SamplerContext } from "./sampler";

/** Options of {@link TpeSampler} (Optuna's defaults). */
export interface TpeOptions {
  /** Random trials before the model is used (default 10). */
  startupTrials?: number;
  /** Candidates drawn from the good trials' density per dimension (default 24). */
  candidates?: number;
  /** Weight of each estimator's prior (default 1). */
  priorWeight?: number;
}

/** Optuna's default split: the best ⌈10%⌉ of trials, at most 25, are "good". */
const gamma = (n: number) => Math.min(Math.ceil(0.1 * n), 25);

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A numeric dimension's internal scale: log for log ranges, integers widened by ½ on each side. */
function scale(d: Dimension & { kind: "uniform" | "log_uniform" | "int" }) {
  const log = d.kind === "log_uniform" || (d.kind === "int" && d.log);
  const [lo, hi] = d.kind === "int" ? [d.low - 0.5, d.high + 0.5] : [d.low, d.high];
  const to = (x: number) => (log ? Math.log(x) : x);
  const back = (y: number) => {
    const x = log ? Math.exp(y) : y;
    return d.kind === "int"
      ? Math.min(d.high, Math.max(d.low, Math.round(x)))
      : Math.min(d.high, Math.max(d.low, x));
  };
  return { low: to(log && lo <= 0 ? 1e-9 : lo), high: to(hi), to, back };
}

/**
 * The tree-structured Parzen estimator (independent per dimension, as Optuna's default TPESampler): after the
 * start-up trials, the finished trials are split into the best ⌈10%⌉ (at most 25) and the rest; for each
 * dimension, candidates are drawn from the good trials' density l and the one maximising l/g is chosen, g being
 * the rest's density. Pruned trials count as worse than every completed one. Conditional dimensions learn only
 * from the trials where they applied.
 * @example
 * ```ts
 * const tpe = new TpeSampler({ space, seed: 1, base: () => undefined });
 * const next = tpe.propose(history);
 * ```
 */
export class TpeSampler implements Sampler {
  readonly name = "tpe";
  private readonly rand: () => number;
  private readonly options: Required<TpeOptions>;

  constructor(
    private readonly context: SamplerContext,
    options: TpeOptions = {},
  ) {
    this.rand = seededRandom(context.seed);
    this.options = { startupTrials: 10, candidates: 24, priorWeight: 1, ...options };
  }

  /**
   * @param history - the trials so far
   * @returns the next trial's settings
   * @example
   * ```ts
   * tpe.propose([]);
   * ```
   */
  propose(history: readonly TrialRecord[]): TrialParams {
    const complete = history
      .filter((t) => t.state === "complete" && Number.isFinite(t.value))
      .sort((a, b) => (a.value as number) - (b.value as number));
    const last = (t: TrialRecord) =>
      [...t.intermediate.entries()].sort((a, b) => a[0] - b[0]).pop()?.[1] ?? Infinity;
    const pruned = history.filter((t) => t.state === "pruned").sort((a, b) => last(a) - last(b));
    const ranked = [...complete, ...pruned];
    const { space, base } = this.context;
    if (ranked.length < this.options.startupTrials) {
      return drawParams(space.dimensions, base, (d) => drawValue(d, this.rand));
    }
    const split = gamma(ranked.length);
    const good = ranked.slice(0, split);
    const bad = ranked.slice(split);
    return drawParams(space.dimensions, base, (d) => this.sampleDimension(d, good, bad));
  }

  private sampleDimension(
    d: Dimension,
    good: readonly TrialRecord[],
    bad: readonly TrialRecord[],
  ): SettingValue {
    const observed = (trials: readonly TrialRecord[]) =>
      trials.filter((t) => Object.hasOwn(t.params, d.path)).map((t) => t.params[d.path]);
    const { candidates, priorWeight } = this.options;
    if (d.kind === "choice") {
      const index = (v: SettingValue) => d.values.findIndex((c) => same(c, v));
      const l = new CategoricalParzen(
        observed(good)
          .map(index)
          .filter((i) => i >= 0),
        d.values.length,
        priorWeight,
      );
      const g = new CategoricalParzen(
        observed(bad)
          .map(index)
          .filter((i) => i >= 0),
        d.values.length,
        priorWeight,
      );
      return d.values[
        this.best(
          () => l.sample(this.rand),
          (i) => l.logPdf(i) - g.logPdf(i),
          candidates,
        )
      ];
    }
    const s = scale(d);
    const numbers = (trials: readonly TrialRecord[]) =>
      observed(trials)
        .filter((v): v is number => typeof v === "number")
        .map(s.to);
    const l = new NumericParzen(numbers(good), s.low, s.high, priorWeight);
    const g = new NumericParzen(numbers(bad), s.low, s.high, priorWeight);
    return s.back(
      this.best(
        () => l.sample(this.rand),
        (y) => l.logPdf(y) - g.logPdf(y),
        candidates,
      ),
    );
  }

  private best<T>(draw: () => T, score: (x: T) => number, n: number): T {
    let best = draw();
    let top = score(best);
    for (let i = 1; i < n; i++) {
      const x = draw();
      const s = score(x);
      if (s > top) [best, top] = [x, s];
    }
    return best;
  }
}
